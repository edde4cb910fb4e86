// Package chartsource says where a Helm release fetches its chart: the
// upstream repository it is pinned to, a mirror repository (HTTP(S) or OCI)
// the site runs, or a chart archive on the operator's machine. Air-gapped
// sites use the last two; see the README.
package chartsource

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"sigs.k8s.io/yaml"
)

// Pinned is a chart as a component pins it.
type Pinned struct {
	Name, Version string
	// Repo is the upstream HTTP(S) chart repository.
	Repo string
}

// Source overrides where charts come from; the zero value is upstream.
type Source struct {
	// Repository is a mirror holding every chart at its pinned version:
	// an HTTP(S) chart repository (index.yaml) or an OCI registry path
	// (oci://host/path, the chart at oci://host/path/<name>).
	Repository string
	// Archives maps a chart name to a local chart archive (.tgz, as `helm
	// pull` writes it), an absolute path on the operator's machine. It
	// takes precedence over Repository.
	Archives map[string]string
}

// Where is the resolved location of one chart.
type Where struct {
	// Chart is the release's `chart`: a name, an oci:// reference or a
	// local archive path.
	Chart string
	// Version is the pinned version; empty for an archive, which is one
	// version already (checked by CheckArchive).
	Version string
	// Repo is the release's repositoryOpts.repo; empty for OCI and archives.
	Repo string
}

// Locate resolves a pinned chart against the source.
func (s Source) Locate(p Pinned) Where {
	if a := s.Archives[p.Name]; a != "" {
		return Where{Chart: a}
	}
	if r := strings.TrimSuffix(s.Repository, "/"); r != "" {
		if strings.HasPrefix(r, "oci://") {
			return Where{Chart: r + "/" + p.Name, Version: p.Version}
		}
		return Where{Chart: p.Name, Version: p.Version, Repo: r}
	}
	return Where{Chart: p.Name, Version: p.Version, Repo: p.Repo}
}

// ReleaseArgs sets the chart, version and repository of a helm.v3.Release.
func (s Source) ReleaseArgs(p Pinned, a *helmv3.ReleaseArgs) {
	w := s.Locate(p)
	a.Chart = pulumi.String(w.Chart)
	a.Version, a.RepositoryOpts = nil, nil
	if w.Version != "" {
		a.Version = pulumi.String(w.Version)
	}
	if w.Repo != "" {
		a.RepositoryOpts = helmv3.RepositoryOptsArgs{Repo: pulumi.String(w.Repo)}
	}
}

// CheckRepository checks a mirror URL's form.
func CheckRepository(u string) error {
	for _, scheme := range []string{"https://", "http://", "oci://"} {
		if rest, ok := strings.CutPrefix(u, scheme); ok {
			if host, _, _ := strings.Cut(rest, "/"); host == "" {
				return fmt.Errorf("has no host")
			}
			return nil
		}
	}
	return fmt.Errorf("must start with https://, http:// (a chart repository) or oci:// (a registry path)")
}

// CheckArchive opens a chart archive and checks that it holds the pinned
// chart at the pinned version, so a stale or wrong download fails before
// any resource is registered instead of in Helm during `up`.
func CheckArchive(file string, p Pinned) error {
	name, version, err := archiveChart(file)
	if err != nil {
		return err
	}
	if name != p.Name || version != p.Version {
		return fmt.Errorf("%s holds chart %s %s, want %s %s", file, name, version, p.Name, p.Version)
	}
	return nil
}

// archiveChart reads name and version from the top-level Chart.yaml of a
// packaged chart (<dir>/Chart.yaml; subcharts sit deeper).
func archiveChart(file string) (name, version string, err error) {
	f, err := os.Open(file)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return "", "", fmt.Errorf("%s is not a chart archive (.tgz): %w", file, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return "", "", fmt.Errorf("%s is not a chart archive: no <chart>/Chart.yaml", file)
		}
		if err != nil {
			return "", "", fmt.Errorf("%s is not a chart archive: %w", file, err)
		}
		dir, base := path.Split(path.Clean(h.Name))
		if base != "Chart.yaml" || strings.Count(dir, "/") != 1 {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(tr, 1<<20))
		if err != nil {
			return "", "", err
		}
		var c struct{ Name, Version string }
		if err := yaml.Unmarshal(b, &c); err != nil {
			return "", "", fmt.Errorf("%s: Chart.yaml: %w", file, err)
		}
		return c.Name, c.Version, nil
	}
}
