package k3s

import "k3s-onprem/internal/hoststep"

// configStep places config.yaml and, on servers, the files the API server
// flags reference (ServerFiles).
var configStep = hoststep.Def[StepsInput]{
	Name:  StepConfig,
	Build: buildConfig,
}

func buildConfig(in StepsInput) (hoststep.Step, error) {
	cfg, err := RenderConfig(in.Cluster, in.Node)
	if err != nil {
		return hoststep.Step{}, err
	}
	files := []hoststep.File{{Path: ConfigPath, Mode: 0o600, Content: cfg,
		Renderer: hoststep.Renderer{Func: "k3s.RenderConfig", Source: "components/k3s/config.go"}}}
	if in.Node.Role == RoleServer {
		sf, err := serverFiles(in.Cluster)
		if err != nil {
			return hoststep.Step{}, err
		}
		files = append(files, sf...)
	}
	return hoststep.Step{Name: StepConfig, Script: script("config.sh"), Files: files,
		Vars: map[string]string{"ROLE": in.Node.Role}}, nil
}
