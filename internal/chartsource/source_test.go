package chartsource

import (
	"archive/tar"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var metallb = Pinned{Name: "metallb", Version: "0.15.2", Repo: "https://metallb.github.io/metallb"}

func TestLocate(t *testing.T) {
	for _, c := range []struct {
		name string
		src  Source
		want Where
	}{
		{"upstream", Source{}, Where{Chart: "metallb", Version: "0.15.2", Repo: "https://metallb.github.io/metallb"}},
		{"http mirror", Source{Repository: "https://charts.example.internal/stable/"}, Where{Chart: "metallb", Version: "0.15.2", Repo: "https://charts.example.internal/stable"}},
		{"oci mirror", Source{Repository: "oci://registry.example.internal/charts"}, Where{Chart: "oci://registry.example.internal/charts/metallb", Version: "0.15.2"}},
		{"archive beats mirror", Source{Repository: "oci://r.example/c", Archives: map[string]string{"metallb": "/srv/metallb-0.15.2.tgz"}}, Where{Chart: "/srv/metallb-0.15.2.tgz"}},
		{"archive of another chart", Source{Archives: map[string]string{"falco": "/srv/falco.tgz"}}, Where{Chart: "metallb", Version: "0.15.2", Repo: "https://metallb.github.io/metallb"}},
	} {
		if got := c.src.Locate(metallb); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestCheckRepository(t *testing.T) {
	for u, ok := range map[string]bool{
		"https://charts.example/x": true, "http://10.0.0.5:8080": true, "oci://harbor.example/charts": true,
		"harbor.example/charts": false, "ftp://x/y": false, "oci://": false, "s3://bucket/charts": false,
	} {
		if err := CheckRepository(u); (err == nil) != ok {
			t.Errorf("CheckRepository(%q) = %v", u, err)
		}
	}
}

// writeChart packages files (path -> content) as `helm package` lays them out.
func writeChart(t *testing.T, files map[string]string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "chart.tgz")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []interface{ Close() error }{tw, gz, f} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func TestCheckArchive(t *testing.T) {
	good := writeChart(t, map[string]string{
		"metallb/charts/crds/Chart.yaml": "apiVersion: v2\nname: crds\nversion: 0.15.2\n",
		"metallb/Chart.yaml":             "apiVersion: v2\nname: metallb\nversion: 0.15.2\nappVersion: v0.15.2\n",
		"metallb/values.yaml":            "{}\n",
	})
	if err := CheckArchive(good, metallb); err != nil {
		t.Errorf("pinned archive rejected: %v", err)
	}
	old := writeChart(t, map[string]string{"metallb/Chart.yaml": "name: metallb\nversion: 0.14.9\n"})
	if err := CheckArchive(old, metallb); err == nil || !strings.Contains(err.Error(), "holds chart metallb 0.14.9, want metallb 0.15.2") {
		t.Errorf("stale archive: %v", err)
	}
	empty := writeChart(t, map[string]string{"README.md": "x"})
	if err := CheckArchive(empty, metallb); err == nil || !strings.Contains(err.Error(), "no <chart>/Chart.yaml") {
		t.Errorf("archive without a chart: %v", err)
	}
	notGzip := filepath.Join(t.TempDir(), "x.tgz")
	if err := os.WriteFile(notGzip, []byte("plain"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckArchive(notGzip, metallb); err == nil || !strings.Contains(err.Error(), "not a chart archive") {
		t.Errorf("not gzip: %v", err)
	}
	if err := CheckArchive("/nonexistent/metallb.tgz", metallb); err == nil {
		t.Error("missing file accepted")
	}
}
