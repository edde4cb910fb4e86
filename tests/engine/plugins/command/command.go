package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"k3s-onprem/tests/engine/plugins/internal/testprovider"
)

// Environment variables carrying the previous run's output (util/util.go).
const (
	envStdout = "PULUMI_COMMAND_STDOUT"
	envStderr = "PULUMI_COMMAND_STDERR"
)

// remoteCommand is command:remote:Command (remote/command.go,
// commandController.go, commandOutputs.go at v1.2.1). Its state is its
// inputs plus stdout and stderr, as upstream's CommandOutputs.
type remoteCommand struct{}

// ReplaceKeys: only triggers (common/inputs.go: provider:"replaceOnChanges").
func (remoteCommand) ReplaceKeys() map[string]bool { return map[string]bool{"triggers": true} }

func (remoteCommand) Check(news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure) {
	out := testprovider.Copy(news)
	c, ok := out["connection"]
	if !ok {
		return out, []*pulumirpc.CheckFailure{{Property: "connection", Reason: "missing required property 'connection'"}}
	}
	out["connection"] = withDefaults(c)
	if l, ok := testprovider.Str(out, "logging"); ok && !validLogging[l] {
		return out, []*pulumirpc.CheckFailure{{Property: "logging", Reason: fmt.Sprintf("logging: %q is not one of stdout, stderr, stdoutAndStderr, none", l)}}
	}
	return out, nil
}

var validLogging = map[string]bool{"stdout": true, "stderr": true, "stdoutAndStderr": true, "none": true}

// Create runs create once; nothing runs on preview and the outputs are
// unknown then.
func (remoteCommand) Create(ctx context.Context, op testprovider.Op, in resource.PropertyMap) (string, resource.PropertyMap, error) {
	id, err := resource.NewUniqueHex(op.URN.Name()+"", 8, 0)
	if err != nil {
		return "", nil, err
	}
	state := stateOf(in)
	if op.Preview {
		state["stdout"] = resource.MakeComputed(resource.NewProperty(""))
		state["stderr"] = resource.MakeComputed(resource.NewProperty(""))
		return id, state, nil
	}
	cmd, ok := testprovider.Str(in, "create")
	if !ok {
		state["stdout"], state["stderr"] = resource.NewProperty(""), resource.NewProperty("")
		return id, state, nil
	}
	return id, state, run(ctx, op, state, cmd)
}

// Update runs update, or create when there is no update, with the previous
// stdout/stderr in the environment unless addPreviousOutputInEnv is false.
func (remoteCommand) Update(ctx context.Context, op testprovider.Op, _ string, old, in resource.PropertyMap) (resource.PropertyMap, error) {
	state := stateOf(in)
	state["stdout"], state["stderr"] = old["stdout"], old["stderr"]
	if op.Preview {
		state["stdout"] = resource.MakeComputed(resource.NewProperty(""))
		state["stderr"] = resource.MakeComputed(resource.NewProperty(""))
		return state, nil
	}
	cmd, ok := testprovider.Str(in, "update")
	if !ok {
		if cmd, ok = testprovider.Str(in, "create"); !ok {
			return state, nil
		}
	}
	return state, run(ctx, op, state, cmd)
}

// Delete runs the delete command recorded in the state, if any.
func (remoteCommand) Delete(ctx context.Context, op testprovider.Op, _ string, state resource.PropertyMap) error {
	cmd, ok := testprovider.Str(state, "delete")
	if !ok {
		return nil
	}
	return run(ctx, op, testprovider.Copy(state), cmd)
}

// stateOf is the inputs with the connection marked secret
// (provider:"secret" on CommandInputs.Connection).
func stateOf(in resource.PropertyMap) resource.PropertyMap {
	s := testprovider.Copy(in)
	if c, ok := s["connection"]; ok {
		s["connection"] = testprovider.Secret(c)
	}
	return s
}

// run follows CommandOutputs.run: a new SSH connection and session per
// command, environment (a refused Setenv fails), the previous output in
// PULUMI_COMMAND_STDOUT/STDERR (a refused Setenv only warns), stdin,
// output streamed to the engine per the logging setting, and stdout/stderr
// (trailing newline trimmed) recorded into state on success.
func run(ctx context.Context, op testprovider.Op, state resource.PropertyMap, cmd string) error {
	conn, err := parseConnection(state["connection"])
	if err != nil {
		return err
	}
	client, err := conn.dial(ctx, op)
	if err != nil {
		return err
	}
	defer client.Close()
	session, err := client.NewSession()
	if err != nil {
		return err
	}
	defer session.Close()

	if env, ok := state["environment"]; ok {
		env = testprovider.Plain(resource.PropertyMap{"e": env})["e"]
		if env.IsObject() {
			for k, v := range env.ObjectValue() {
				if v.IsString() {
					if err := session.Setenv(string(k), v.StringValue()); err != nil {
						op.Log(diag.Error, false, setenvMessage(string(k)))
						return fmt.Errorf("could not set environment variable %q: %w", k, err)
					}
				}
			}
		}
	}
	if testprovider.Bool(state, "addPreviousOutputInEnv", true) {
		for _, e := range []struct{ key, name string }{{"stdout", envStdout}, {"stderr", envStderr}} {
			if prev, _ := testprovider.Str(state, e.key); prev != "" {
				if err := session.Setenv(e.name, prev); err != nil {
					op.Log(diag.Warning, false, setenvMessage(e.name))
				}
			}
		}
	}
	if stdin, _ := testprovider.Str(state, "stdin"); stdin != "" {
		session.Stdin = strings.NewReader(stdin)
	}

	logging, ok := testprovider.Str(state, "logging")
	if !ok {
		logging = "stdoutAndStderr"
	}
	var stdout, stderr, combined bytes.Buffer
	r, w := io.Pipe()
	outs := []io.Writer{&stdout, &combined}
	if logging == "stdout" || logging == "stdoutAndStderr" {
		outs = append(outs, w)
	}
	errs := []io.Writer{&stderr, &combined}
	if logging == "stderr" || logging == "stdoutAndStderr" {
		errs = append(errs, w)
	}
	session.Stdout = io.MultiWriter(outs...)
	session.Stderr = io.MultiWriter(errs...)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			op.Log(diag.Info, true, sc.Text())
		}
		_, _ = io.Copy(io.Discard, r)
	}()
	err = session.Run(cmd)
	w.Close()
	<-done
	if err != nil {
		return fmt.Errorf("%w: running %q:\n%s", err, cmd, combined.String())
	}
	state["stdout"] = resource.NewProperty(strings.TrimSuffix(stdout.String(), "\n"))
	state["stderr"] = resource.NewProperty(strings.TrimSuffix(stderr.String(), "\n"))
	return nil
}

func setenvMessage(key string) string {
	return fmt.Sprintf("Unable to set '%s'. This only works if your SSH server is configured to accept these variables via AcceptEnv.", key)
}
