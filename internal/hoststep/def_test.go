package hoststep

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

type defInput struct{ debug bool }

var testDefs = []Def[defInput]{
	{Name: "base", Build: func(defInput) (Step, error) { return Step{Name: "base", Script: "true"}, nil }},
	{Name: "gate", Roles: []string{RoleServer}, Build: func(defInput) (Step, error) { return Step{Name: "gate", Script: "true"}, nil }},
	{Name: "debug", Skip: func(in defInput) string {
		if !in.debug {
			return "debug is off"
		}
		return ""
	}, Build: func(defInput) (Step, error) { return Step{Name: "debug", Script: "true"}, nil }},
}

func stepNames(steps []Step) []string {
	var names []string
	for _, s := range steps {
		names = append(names, s.Name)
	}
	return names
}

func TestBuild_RolesAndSkipRulesInDeclaredOrder(t *testing.T) {
	for _, tc := range []struct {
		role  string
		in    defInput
		steps []string
		skips map[string]string
	}{
		{RoleServer, defInput{debug: true}, []string{"base", "gate", "debug"}, map[string]string{}},
		{RoleAgent, defInput{debug: true}, []string{"base", "debug"}, map[string]string{"gate": "runs on server nodes only"}},
		{RoleServer, defInput{}, []string{"base", "gate"}, map[string]string{"debug": "debug is off"}},
	} {
		steps, err := Build(testDefs, tc.role, tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := stepNames(steps); !reflect.DeepEqual(got, tc.steps) {
			t.Errorf("%s %+v: steps %v, want %v", tc.role, tc.in, got, tc.steps)
		}
		if got := SkipReasons(testDefs, tc.role, tc.in); !reflect.DeepEqual(got, tc.skips) {
			t.Errorf("%s %+v: skips %v, want %v", tc.role, tc.in, got, tc.skips)
		}
	}
}

func TestBuild_NamesTheFailingStep(t *testing.T) {
	defs := []Def[defInput]{{Name: "broken", Build: func(defInput) (Step, error) { return Step{}, errors.New("no input") }}}
	if _, err := Build(defs, RoleAgent, defInput{}); err == nil || err.Error() != "step broken: no input" {
		t.Errorf("error %v", err)
	}
}

func TestBuild_RefusesAStepBuiltUnderAnotherName(t *testing.T) {
	defs := []Def[defInput]{{Name: "a", Build: func(defInput) (Step, error) { return Step{Name: "b"}, nil }}}
	if _, err := Build(defs, RoleAgent, defInput{}); err == nil || !strings.Contains(err.Error(), `built as "b"`) {
		t.Errorf("error %v", err)
	}
}
