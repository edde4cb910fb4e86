package host

import "k3s-onprem/internal/hoststep"

// auditdStep places the CIS 4.1 audit rules.
var auditdStep = hoststep.Def[StepsInput]{
	Name: "auditd",
	Skip: func(in StepsInput) string { return off(in.Hardening.Auditd, "auditd") },
	Build: func(StepsInput) (hoststep.Step, error) {
		rules, err := RenderAuditRules()
		if err != nil {
			return hoststep.Step{}, err
		}
		return hoststep.Step{Name: "auditd", Script: script("auditd.sh"), Files: []hoststep.File{
			{Path: "/etc/audit/rules.d/50-k3s-onprem.rules", Mode: 0o600, Content: rules, Renderer: hoststep.Renderer{Func: "host.RenderAuditRules", Source: "components/host/render.go"}},
		}, Vars: map[string]string{"CONTAINER_EXCEPTIONS": containerExceptionsFor("service", []string{"auditd"})}}, nil
	},
}
