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
	files := []hoststep.File{{Path: ConfigPath, Mode: 0o600, Content: cfg}}
	if in.Node.Role == RoleServer {
		sf, err := ServerFiles(in.Cluster)
		if err != nil {
			return hoststep.Step{}, err
		}
		for _, p := range sortedKeys(sf) {
			files = append(files, hoststep.File{Path: p, Mode: 0o600, Content: sf[p]})
		}
	}
	return hoststep.Step{Name: StepConfig, Script: script("config.sh"), Files: files,
		Vars: map[string]string{"ROLE": in.Node.Role}}, nil
}
