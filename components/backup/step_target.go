package backup

import (
	"strings"

	"k3s-onprem/internal/hoststep"
)

// targetStep prepares the backup host: user, gate, authorized_keys (public
// keys from stdin) and one directory per server.
var targetStep = hoststep.Def[TargetHost]{
	Name:  StepTarget,
	Build: buildTarget,
}

func buildTarget(h TargetHost) (hoststep.Step, error) {
	keys, err := RenderAuthorizedKeysTemplate(h)
	if err != nil {
		return hoststep.Step{}, err
	}
	r := func(fn string) hoststep.Renderer {
		return hoststep.Renderer{Func: "backup." + fn, Source: "components/backup/render.go"}
	}
	return hoststep.Step{Name: StepTarget, Script: embedded("install.sh") + "\n" + embedded("target.sh"),
		Files: []hoststep.File{
			{Path: GatePath, Mode: 0o755, Content: RenderGateScript(), Renderer: r("RenderGateScript")},
			{Path: AuthorizedKeysTemplatePath, Mode: 0o644, Content: keys, Renderer: r("RenderAuthorizedKeysTemplate")},
		},
		Vars: map[string]string{"BACKUP_USER": h.Target.User, "HOME_DIR": h.HomeDir, "BACKUP_ROOT": h.Target.Root,
			"CLUSTER": h.Cluster, "NODES": strings.Join(h.Nodes, " "), "AUTHORIZED_KEYS_TEMPLATE": AuthorizedKeysTemplatePath}}, nil
}
