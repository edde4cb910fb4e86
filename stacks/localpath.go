package stacks

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// LocalPath resolves a path on the operator's machine the way a shell user
// expects: "~" and "~/x" are the operator's home, "~name/x" that user's
// home, and a relative path is relative to the project directory (where
// Pulumi.yaml is), not to wherever the engine happens to run the program.
func LocalPath(p, projectDir string) (string, error) {
	if rest, ok := strings.CutPrefix(p, "~"); ok {
		name, tail, _ := strings.Cut(rest, "/")
		var home string
		if name == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("cannot expand ~ in %q: %w", p, err)
			}
			home = h
		} else {
			u, err := user.Lookup(name)
			if err != nil {
				return "", fmt.Errorf("cannot expand ~%s in %q: %w", name, p, err)
			}
			home = u.HomeDir
		}
		return filepath.Join(home, tail), nil
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p), nil
	}
	return filepath.Join(projectDir, p), nil
}

// projectDir is the directory of Pulumi.yaml: the engine tells the program
// (PULUMI_ROOT_DIRECTORY); without it (older CLIs, mocks) the working
// directory, which the Go language host sets to the project directory.
func projectDir(ctx *pulumi.Context) string {
	if d := ctx.RootDirectory(); d != "" {
		return d
	}
	wd, _ := os.Getwd()
	return wd
}

// readPrivateKey reads ssh.privateKeyPath, resolved by LocalPath.
func readPrivateKey(p, projectDir string) ([]byte, error) {
	resolved, err := LocalPath(p, projectDir)
	if err != nil {
		return nil, fmt.Errorf("ssh.privateKeyPath: %w", err)
	}
	key, err := os.ReadFile(resolved)
	if err != nil {
		return nil, fmt.Errorf("ssh.privateKeyPath: cannot read %q (from %q; ~ is your home directory, a relative path is relative to the project directory %s): %w", resolved, p, projectDir, err)
	}
	return key, nil
}
