package policies

// remoteCmd is a command:remote:Command's inputs over connection c.
func remoteCmd(c any) map[string]any {
	return map[string]any{"connection": c, "create": "bash /var/lib/k3s-onprem/steps/sshd/run.sh apply 0123"}
}
