package stacks

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecodeRejectsBadChartSources(t *testing.T) {
	sf, err := ReadStackFile("../Pulumi.prod.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sf.withPlaceholders()
	sf.Raw["charts"] = `{"repository":"harbor.example.internal/charts","archives":{"nginx":"/srv/x.tgz","metallb":"/srv/metallb.zip"}}`
	_, v := Decode("prod", sf.Raw)
	got := strings.Join(errorSet(v), " ")
	for _, want := range []string{"FieldValueInvalid::charts.repository", "FieldValueNotSupported::charts.archives[nginx]", "FieldValueInvalid::charts.archives[metallb]"} {
		if !strings.Contains(got, want) {
			t.Errorf("errors %s lack %s", got, want)
		}
	}
	sf.Raw["charts"] = `{"repository":"oci://harbor.example.internal/charts"}`
	if _, v := Decode("prod", sf.Raw); v.Err() != nil {
		t.Errorf("OCI mirror rejected: %v", v.Err())
	}
}

// chartArchive writes a packaged chart holding only Chart.yaml.
func chartArchive(t *testing.T, path, name, version string) {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	body := "apiVersion: v2\nname: " + name + "\nversion: " + version + "\n"
	must(t, tw.WriteHeader(&tar.Header{Name: name + "/Chart.yaml", Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}))
	_, err := tw.Write([]byte(body))
	must(t, err)
	must(t, tw.Close())
	must(t, gz.Close())
	must(t, os.MkdirAll(filepath.Dir(path), 0o755))
	must(t, os.WriteFile(path, buf.Bytes(), 0o644))
}

// Archives are resolved like ssh.privateKeyPath and must hold the chart at
// the version the stack pins; the error says which helm pull fixes it.
func TestCheckChartArchives(t *testing.T) {
	proj, home := t.TempDir(), t.TempDir()
	t.Setenv("HOME", home)
	spec, err := DecodeStackFile("..", "prod")
	if err != nil {
		t.Fatal(err)
	}
	chartArchive(t, filepath.Join(proj, "charts/metallb-0.16.0.tgz"), "metallb", "0.16.0")
	chartArchive(t, filepath.Join(home, "charts/ingress-nginx-4.14.0.tgz"), "ingress-nginx", "4.14.0")
	spec.Charts.Archives = map[string]string{
		"metallb":       "charts/metallb-0.16.0.tgz",
		"ingress-nginx": "~/charts/ingress-nginx-4.14.0.tgz",
		"falcosidekick": "charts/missing.tgz",
		"falco":         "charts/unused-in-host-mode.tgz",
	}
	errs := checkChartArchives(spec, proj)
	if len(errs) != 2 {
		t.Fatalf("want 2 errors (stale ingress-nginx, missing falcosidekick), got %v", errs)
	}
	all := errs.ToAggregate().Error()
	for _, want := range []string{
		"charts.archives[ingress-nginx]", "holds chart ingress-nginx 4.14.0, want ingress-nginx 4.15.1",
		"helm pull ingress-nginx --repo https://kubernetes.github.io/ingress-nginx --version 4.15.1",
		"charts.archives[falcosidekick]", "helm pull falcosidekick --repo https://falcosecurity.github.io/charts --version 0.9.11",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("errors lack %q:\n%s", want, all)
		}
	}
	if got := spec.Charts.Archives["metallb"]; got != filepath.Join(proj, "charts/metallb-0.16.0.tgz") {
		t.Errorf("metallb archive resolved to %q", got)
	}
}
