package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseFlags_RequiresFiles(t *testing.T) {
	_, err := parseFlags([]string{"-listen", ":9999"})
	if err == nil || !strings.Contains(err.Error(), "-secret-file") || !strings.Contains(err.Error(), "-kubeconfig") {
		t.Fatalf("got %v", err)
	}
}

func TestReadSecret_RefusesReadableFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "secret")
	if err := os.WriteFile(p, []byte("0123456789abcdef0123\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readSecret(p); err == nil {
		t.Fatal("a world-readable secret was accepted")
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := readSecret(p)
	if err != nil || string(b) != "0123456789abcdef0123" {
		t.Fatalf("got %q, %v", b, err)
	}
}
