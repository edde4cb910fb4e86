package hoststep

import (
	"slices"
	"testing"
)

func TestUnsetVariables(t *testing.T) {
	for _, c := range []struct {
		name, script string
		want         []string
	}{
		{"defined by Vars", "A='x'\necho \"$A\"", nil},
		{"missing", "echo \"$SERVICE_USER\"", []string{"SERVICE_USER"}},
		{"braced and length", "echo ${MISSING%/*} ${#OTHER}", []string{"MISSING", "OTHER"}},
		{"defaults are safe", "echo ${A:-x} ${B-} ${C:+y} ${D+z} ${E:=w}", nil},
		{"loop, read, local", "for F in 1; do :; done\nread -r G H <x\nf() { local I J=2; echo $I $J; }\necho $F $G $H", nil},
		{"bash's own", "echo $PIPESTATUS $BASH_SOURCE $HOME", nil},
		{"comments ignored", "# uses $NOPE\necho ok", nil},
		{"lower case ignored", "echo $x ${y}", nil},
		{"assignment after use still defines", "f() { echo $K; }\nK=1\nf", nil},
		{"uncalled function's reads do not count", "vip_answers() {\n\tcurl \"https://$VIP\"\n}\necho ok", nil},
		{"called function's reads count", "vip_answers() {\n\tcurl \"https://$VIP\"\n}\nwait_for() {\n\t\"$1\"\n}\nwait_for vip_answers", []string{"VIP"}},
		{"lower-case suffix is another name", "dpkg-query -f='${Version}'", nil},
	} {
		if got := UnsetVariables(c.script); !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

// lib.sh itself reads only what script() defines before it runs.
func TestUnsetVariables_LibAndPreamble(t *testing.T) {
	s := Step{Name: "probe", Script: "echo \"$STEP_DIR\" \"$RESTORE_DIR\" \"$ACTION\"\n"}
	if got := UnsetVariables(s.script()); len(got) > 0 {
		t.Errorf("lib.sh and the preamble read undefined %v", got)
	}
}
