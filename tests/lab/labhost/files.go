package labhost

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// InstallFile copies a local file (a large static binary) into host's
// filesystem through its overlay root, not over SSH: a 100 MB binary per
// host would otherwise stream through one SSH session each.
func (l *Lab) InstallFile(host, remotePath, localPath string, mode fs.FileMode) error {
	h := l.Host(host)
	if h == nil {
		return fmt.Errorf("no host %q", host)
	}
	if !filepath.IsAbs(remotePath) || filepath.Clean(remotePath) != remotePath || strings.Contains(remotePath, "..") {
		return fmt.Errorf("%s: path %q must be absolute and clean", host, remotePath)
	}
	root := filepath.Join(h.dir, "root")
	dst := filepath.Join(root, remotePath)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	// An absolute symlink inside the host would point into this machine.
	if dir, err := filepath.EvalSymlinks(filepath.Dir(dst)); err != nil || !strings.HasPrefix(dir+"/", root+"/") {
		return fmt.Errorf("%s: %s leaves the host's root (%v)", host, remotePath, err)
	}
	src, err := os.Open(localPath)
	if err != nil {
		return err
	}
	defer src.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, src); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, mode)
}
