// Package tmpl renders the text/template host files (units, zone XML,
// keepalived.conf, ...) that components embed, with errors that name the
// template.
package tmpl

import (
	"bytes"
	"fmt"
	"io/fs"
	"text/template"
)

// Set is a component's parsed templates.
type Set struct{ t *template.Template }

// Must parses every file matching pattern in fsys; the files are embedded,
// so a parse error is a build-time bug.
func Must(fsys fs.FS, pattern string) Set {
	return Set{template.Must(template.ParseFS(fsys, pattern))}
}

// Execute renders the named template (its file name) with data.
func (s Set) Execute(name string, data any) ([]byte, error) {
	var b bytes.Buffer
	if err := s.t.ExecuteTemplate(&b, name, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return b.Bytes(), nil
}
