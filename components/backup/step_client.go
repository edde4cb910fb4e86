package backup

import "k3s-onprem/internal/hoststep"

// clientStep installs the push, its settings, the pinned host key, the
// unit and the timer on a server, and the private key from stdin.
var clientStep = hoststep.Def[Client]{
	Name:  StepClient,
	Roles: []string{hoststep.RoleServer},
	Build: buildClient,
}

func buildClient(c Client) (hoststep.Step, error) {
	unit, err := RenderUnit(c)
	if err != nil {
		return hoststep.Step{}, err
	}
	timer, err := RenderTimer(c)
	if err != nil {
		return hoststep.Step{}, err
	}
	conf, err := RenderPushConf(c)
	if err != nil {
		return hoststep.Step{}, err
	}
	known, err := RenderKnownHosts(c.Target)
	if err != nil {
		return hoststep.Step{}, err
	}
	r := func(fn string) hoststep.Renderer {
		return hoststep.Renderer{Func: "backup." + fn, Source: "components/backup/render.go"}
	}
	return hoststep.Step{Name: StepClient, Script: embedded("install.sh") + "\n" + embedded("client.sh"),
		Files: []hoststep.File{
			{Path: PushPath, Mode: 0o755, Content: RenderPushScript(), Renderer: r("RenderPushScript")},
			{Path: ConfPath, Mode: 0o600, Content: conf, Renderer: r("RenderPushConf")},
			{Path: KnownHostsPath, Mode: 0o644, Content: known, Renderer: r("RenderKnownHosts")},
			{Path: UnitPath, Mode: 0o644, Content: unit, Renderer: r("RenderUnit")},
			{Path: TimerPath, Mode: 0o644, Content: timer, Renderer: r("RenderTimer")},
		},
		Vars: map[string]string{"KEY_FILE": KeyPath, "TIMER": TimerName, "UNIT_PATH": UnitPath, "TIMER_PATH": TimerPath}}, nil
}
