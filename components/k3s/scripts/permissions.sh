# CIS 1.1.x file permissions once k3s has created its files (see
# tighten_rancher). Not reverted on delete: loosening is never safe.
[ "$ACTION" = delete ] && { finish; exit 0; }
tighten_rancher
