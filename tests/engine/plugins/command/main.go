// Command pulumi-resource-command is the engine tier's test stand-in for the
// pulumi-command provider v1.2.1 (its provider module is not served here):
// command:remote:Command and command:remote:CopyToRemote over real SSH and
// SFTP, following provider/pkg/provider/remote/*.go at tag v1.2.1. What it
// implements and leaves out: tests/engine/README.md. Tests only.
package main

import (
	"k3s-onprem/tests/engine/plugins/internal/testprovider"
)

func main() {
	testprovider.Main(&testprovider.Provider{
		Name:    "command",
		Version: "1.2.1",
		Types: map[string]testprovider.Type{
			"command:remote:Command":      remoteCommand{},
			"command:remote:CopyToRemote": copyToRemote{},
		},
	})
}
