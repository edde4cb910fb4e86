# Hardening sysctls: a separate file so deleting it reverts the intent
# (values return to defaults at the next boot).
if [ "$ACTION" = delete ]; then
	remove_staged
	finish
	exit 0
fi
install_staged
apply_sysctl_file /etc/sysctl.d/95-k3s-onprem-hardening.conf
