// Package golden compares rendered files with testdata/*.golden. Run
// `go test ./... -run Golden -update` to rewrite them, then review the diff.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Assert compares got with testdata/<name>.golden.
func Assert(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with: go test ./... -run Golden -update)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the rendered output:\n%s\nrun `go test ./... -run Golden -update` and review the diff", path, diff(string(want), string(got)))
	}
}

// diff is a minimal line diff: enough to point at the change.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + itoa(i+1) + ":\n  - " + wl + "\n  + " + gl + "\n")
		}
	}
	return b.String()
}

func itoa(i int) string {
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	if s == "" {
		return "0"
	}
	return s
}

// AssertRegion compares the text of the file at path between the lines
// begin and end (marker comments, each ending in a newline) with got;
// -update rewrites that region. Documents keep generated tables this way,
// so they cannot drift from the code that produces them.
func AssertRegion(t testing.TB, path, begin, end, got string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q", path, strings.TrimSpace(begin), strings.TrimSpace(end))
	}
	want := s[:i+len(begin)] + got + s[j:]
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if s != want {
		t.Errorf("%s: the generated region is stale:\n%s\nrun the test with -update and review the diff", path, diff(s[i+len(begin):j], got))
	}
}
