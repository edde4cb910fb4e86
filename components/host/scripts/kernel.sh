# Kernel modules (now and at boot) and the sysctls k3s needs; with
# protect-kernel-defaults the kubelet exits if these differ.
if [ "$ACTION" = delete ]; then
	remove_staged
	finish
	exit 0
fi
install_staged
load_modules /etc/modules-load.d/k3s-onprem.conf
apply_sysctl_file /etc/sysctl.d/90-k3s-onprem.conf
