package hoststep

import (
	"regexp"
	"slices"
	"strings"
)

// Shell variables every script may read without defining them: bash's own
// and the login environment. awk's NF/NR appear as "$NF" inside awk
// programs.
var shellProvided = map[string]bool{
	"PATH": true, "HOME": true, "USER": true, "PWD": true, "HOSTNAME": true, "IFS": true,
	"BASH_SOURCE": true, "BASH_REMATCH": true, "LINENO": true, "FUNCNAME": true, "PIPESTATUS": true,
	"RANDOM": true, "SECONDS": true, "EUID": true, "UID": true, "OPTARG": true, "OPTIND": true,
	"REPLY": true, "BASHPID": true, "NF": true, "NR": true,
}

var (
	// A read of NAME that fails under `set -u` when NAME is unset: $NAME,
	// ${NAME}, ${NAME%...}, ${#NAME}; not ${NAME:-...}, ${NAME-...},
	// ${NAME:+...}, ${NAME+...}, ${NAME:=...}.
	varRead   = regexp.MustCompile(`\$(?:\{#?)?([A-Z][A-Z0-9_]*)([^A-Za-z0-9_]|$)`)
	funcStart = regexp.MustCompile(`^([a-z_][a-z0-9_]*)\(\)\s*\{\s*(?:#.*)?$`)
	funcEnd   = regexp.MustCompile(`^\}\s*$`)
	word      = regexp.MustCompile(`[a-z_][a-z0-9_]*`)
	varAssign = regexp.MustCompile(`(?:^|[^A-Za-z0-9_$])([A-Z][A-Z0-9_]*)\+?=`)
	varFor    = regexp.MustCompile(`\bfor\s+([A-Z][A-Z0-9_]*)\s+in\b`)
	varRead2  = regexp.MustCompile(`\bread\b([^;|&\n<]*)`)
	varLocal  = regexp.MustCompile(`\b(?:local|declare|readonly|export)\b([^;|&\n]*)`)
	varName   = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)

// UnsetVariables lists the upper-case variables a step script reads (in a
// way that fails under `set -u` when unset) but neither defines nor gets
// from bash or the environment: a Vars entry the component forgot fails
// here, not on the first real host.
func UnsetVariables(script string) []string {
	defined := map[string]bool{}
	for _, re := range []*regexp.Regexp{varAssign, varFor} {
		for _, m := range re.FindAllStringSubmatch(script, -1) {
			defined[m[1]] = true
		}
	}
	for _, re := range []*regexp.Regexp{varRead2, varLocal} {
		for _, m := range re.FindAllStringSubmatch(script, -1) {
			for _, f := range strings.Fields(m[1]) {
				if name, _, _ := strings.Cut(f, "="); varName.MatchString(name) {
					defined[name] = true
				}
			}
		}
	}
	var unset []string
	for _, line := range reachableLines(script) {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, m := range varRead.FindAllStringSubmatchIndex(line, -1) {
			name := line[m[2]:m[3]]
			braced := strings.HasPrefix(line[m[0]:], "${")
			if braced && m[4] < len(line) {
				// ${NAME:-x} ${NAME-x} ${NAME:+x} ${NAME+x} ${NAME:=x}
				rest := line[m[4]:]
				if strings.HasPrefix(rest, ":-") || strings.HasPrefix(rest, "-") || strings.HasPrefix(rest, ":+") ||
					strings.HasPrefix(rest, "+") || strings.HasPrefix(rest, ":=") {
					continue
				}
			}
			if !defined[name] && !shellProvided[name] {
				unset = append(unset, name)
			}
		}
	}
	slices.Sort(unset)
	return slices.Compact(unset)
}

// reachableLines is the script's top-level lines and the bodies of the
// functions it calls, directly or through other called functions: a
// shared library (lib.sh, common.sh) may read a variable only the steps
// that call that function define.
func reachableLines(script string) []string {
	var top []string
	bodies := map[string][]string{}
	fn := ""
	for _, line := range strings.Split(script, "\n") {
		switch {
		case fn == "" && funcStart.MatchString(line):
			fn = funcStart.FindStringSubmatch(line)[1]
		case fn != "" && funcEnd.MatchString(line):
			fn = ""
		case fn != "":
			bodies[fn] = append(bodies[fn], line)
		default:
			top = append(top, line)
		}
	}
	called := map[string]bool{}
	queue := [][]string{top}
	out := append([]string(nil), top...)
	for len(queue) > 0 {
		lines := queue[0]
		queue = queue[1:]
		for _, line := range lines {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			for _, w := range word.FindAllString(line, -1) {
				if body, ok := bodies[w]; ok && !called[w] {
					called[w] = true
					out = append(out, body...)
					queue = append(queue, body)
				}
			}
		}
	}
	return out
}
