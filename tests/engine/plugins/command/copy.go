package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"

	"github.com/pkg/sftp"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"k3s-onprem/tests/engine/plugins/internal/testprovider"
)

// copyToRemote is command:remote:CopyToRemote (remote/copy.go,
// copyController.go at v1.2.1) for what this program copies: text assets
// and path file assets. Archives are refused in Check. There is no delete
// (upstream v1.2.1 has none either: the file stays).
type copyToRemote struct{}

// ReplaceKeys: only triggers (CopyToRemoteInputs: provider:"replaceOnChanges").
func (copyToRemote) ReplaceKeys() map[string]bool { return map[string]bool{"triggers": true} }

func (copyToRemote) Check(news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure) {
	out := testprovider.Copy(news)
	var failures []*pulumirpc.CheckFailure
	if c, ok := out["connection"]; ok {
		out["connection"] = withDefaults(c)
	} else {
		failures = append(failures, &pulumirpc.CheckFailure{Property: "connection", Reason: "missing required property 'connection'"})
	}
	if _, ok := testprovider.Str(out, "remotePath"); !ok {
		failures = append(failures, &pulumirpc.CheckFailure{Property: "remotePath", Reason: "missing required property 'remotePath'"})
	}
	src, ok := out["source"]
	switch {
	case !ok:
		failures = append(failures, &pulumirpc.CheckFailure{Property: "asset", Reason: "either asset or archive must be set"})
	case src.IsComputed():
	case src.IsArchive():
		failures = append(failures, &pulumirpc.CheckFailure{Property: "archive", Reason: "archives are not implemented by the engine tier's test plugin (the program copies only assets)"})
	case !src.IsAsset() || (!src.AssetValue().IsPath() && !src.AssetValue().IsText()):
		failures = append(failures, &pulumirpc.CheckFailure{Property: "asset", Reason: "asset must be a path-based file asset or a text asset"})
	}
	return out, failures
}

// Create copies unless previewing; the id is random.
func (copyToRemote) Create(ctx context.Context, op testprovider.Op, in resource.PropertyMap) (string, resource.PropertyMap, error) {
	state := stateOf(in)
	if op.Preview {
		return "", state, nil
	}
	if err := copyAsset(ctx, op, in); err != nil {
		return "", nil, err
	}
	id, err := resource.NewUniqueHex("", 8, 0)
	return id, state, err
}

// Update copies again only when the asset hash or the remote path changed
// (a connection-only change records the new inputs and copies nothing).
func (copyToRemote) Update(ctx context.Context, op testprovider.Op, _ string, old, in resource.PropertyMap) (resource.PropertyMap, error) {
	state := stateOf(in)
	if op.Preview {
		return state, nil
	}
	oldPath, _ := testprovider.Str(old, "remotePath")
	newPath, _ := testprovider.Str(in, "remotePath")
	if assetHash(old) != assetHash(in) || oldPath != newPath {
		if err := copyAsset(ctx, op, in); err != nil {
			return nil, err
		}
	}
	return state, nil
}

func (copyToRemote) Delete(context.Context, testprovider.Op, string, resource.PropertyMap) error {
	return nil
}

func assetHash(m resource.PropertyMap) string {
	if v, ok := m["source"]; ok && v.IsAsset() {
		return v.AssetValue().Hash
	}
	return ""
}

// copyAsset follows copyToRemote/copyTextContent/sftpCopy for a file: an
// existing directory at remotePath receives the file under its base name;
// otherwise the parent directories are created and the file is written.
func copyAsset(ctx context.Context, op testprovider.Op, in resource.PropertyMap) error {
	conn, err := parseConnection(in["connection"])
	if err != nil {
		return err
	}
	dest, _ := testprovider.Str(in, "remotePath")
	a := in["source"].AssetValue()
	client, err := conn.dial(ctx, op)
	if err != nil {
		return err
	}
	defer client.Close()
	sc, err := sftp.NewClient(client, sftp.UseConcurrentWrites(true))
	if err != nil {
		return err
	}
	defer sc.Close()

	st, err := sc.Stat(dest)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("failed to stat remote path %s: %w", dest, err)
	}
	if a.IsText() {
		if st != nil && st.IsDir() {
			return fmt.Errorf("remote path %s is a directory; when using a text asset, remotePath must be a file path", dest)
		}
		return writeRemote(sc, dest, func(f *sftp.File) error { _, err := f.Write([]byte(a.Text)); return err })
	}
	src, err := os.Open(a.Path)
	if err != nil {
		return err
	}
	defer src.Close()
	if fi, err := src.Stat(); err != nil {
		return err
	} else if fi.IsDir() {
		return fmt.Errorf("%s is a directory: directory assets are not implemented by the test plugin", a.Path)
	}
	if st != nil && st.IsDir() {
		dest = path.Join(dest, path.Base(a.Path))
	}
	return writeRemote(sc, dest, func(f *sftp.File) error { _, err := f.ReadFrom(src); return err })
}

func writeRemote(sc *sftp.Client, dest string, write func(*sftp.File) error) error {
	if err := sc.MkdirAll(path.Dir(dest)); err != nil {
		return fmt.Errorf("failed to create parent directories for %s: %w", dest, err)
	}
	f, err := sc.Create(dest)
	if err != nil {
		return fmt.Errorf("failed to create remote file %s: %w", dest, err)
	}
	defer f.Close()
	if err := write(f); err != nil {
		return fmt.Errorf("failed to write %s: %w", dest, err)
	}
	return nil
}
