// Package grammar holds the grammars of values that reach host files, so
// validation (stacks) and the renderers that write them (components) check
// the same rules.
package grammar

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// IfNameMaxLen is IFNAMSIZ-1: the kernel keeps interface names in a
// 16-byte buffer including the terminating NUL.
const IfNameMaxLen = 15

// InterfaceName checks a Linux interface name as the kernel's
// dev_valid_name (net/core/dev.c) does: 1-15 bytes, not "." or "..", no
// '/', ':' or whitespace (the kernel's isspace: \t \n \v \f \r, space and
// byte 0xa0). Control characters and invalid UTF-8 are refused too: the
// firewalld zone XML cannot carry them.
func InterfaceName(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("empty interface name")
	case len(s) > IfNameMaxLen:
		return fmt.Errorf("longer than %d bytes (the kernel's IFNAMSIZ)", IfNameMaxLen)
	case s == "." || s == "..":
		return fmt.Errorf("%q is not allowed by the kernel", s)
	case !utf8.ValidString(s):
		return fmt.Errorf("not valid UTF-8")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '/' || c == ':':
			return fmt.Errorf("contains %q, which the kernel refuses", c)
		case c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0:
			return fmt.Errorf("contains whitespace, which the kernel refuses")
		case c < 0x20 || c == 0x7f:
			return fmt.Errorf("contains a control character")
		}
	}
	return nil
}

// keepalivedToken is what keepalived.conf can carry as a bare word: its
// lexer splits on whitespace, starts comments at '!' and '#', quotes with
// '"', treats '{' '}' as block tokens and expands '$' (definitions), '@'
// (conditional lines) and '~' (SEQ); none of these may appear.
var keepalivedToken = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+-]*$`)

// KeepalivedToken checks a value written into keepalived.conf as a word.
func KeepalivedToken(s string) error {
	if !keepalivedToken.MatchString(s) {
		return fmt.Errorf("keepalived.conf can carry only letters, digits and _ . + - here (starting with a letter or digit)")
	}
	return nil
}

// absPath is an absolute path of plain characters, safe inside a
// keepalived double-quoted string and a shell word.
var absPath = regexp.MustCompile(`^(/[A-Za-z0-9_.+-]+)+$`)

// AbsPath checks an absolute path made of plain characters only.
func AbsPath(s string) error {
	if !absPath.MatchString(s) || strings.Contains(s, "/../") || strings.HasSuffix(s, "/..") {
		return fmt.Errorf("want an absolute path of letters, digits and _ . + -")
	}
	return nil
}

// semver is a plain release version such as 0.42.1.
var semver = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)

// ReleaseVersion checks a pinned MAJOR.MINOR.PATCH version (no "latest",
// no ranges, no pre-release or build suffix).
func ReleaseVersion(s string) error {
	if !semver.MatchString(s) {
		return fmt.Errorf("want a pinned release MAJOR.MINOR.PATCH such as 0.42.1")
	}
	return nil
}

// HTTPSURL checks an https:// URL with a host, no user info, query or
// fragment (a base URL that a path is appended to).
func HTTPSURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL")
	}
	switch {
	case u.Scheme != "https":
		return fmt.Errorf("want an https:// URL (the binary and its checksum travel over it; plain http lets anyone on the path replace both)")
	case u.Host == "" || u.Opaque != "":
		return fmt.Errorf("no host")
	case u.User != nil:
		return fmt.Errorf("credentials in a URL end up in logs and command text; use a mirror that needs none")
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#"):
		return fmt.Errorf("a base URL takes no query or fragment (the version and file are appended)")
	}
	for _, c := range s {
		if c <= 0x20 || c == 0x7f || c == '\'' || c == '"' || c == '\\' || c == '`' || c == '$' {
			return fmt.Errorf("contains a space, quote or control character")
		}
	}
	return nil
}
