package falco

// Namespaces are the namespaces the component creates in a mode: the
// restricted one for falcosidekick, and in daemonset mode the privileged
// one for the sensors. The responder protects them (stacks derives its
// list from this).
func Namespaces(mode string) []string {
	if mode == ModeDaemonSet {
		return []string{Namespace, SensorNamespace}
	}
	return []string{Namespace}
}
