package stacks

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// validRaw is validSpec as the raw config Pulumi hands the program.
func validRaw(t *testing.T) map[string]string {
	t.Helper()
	s := validSpec()
	raw := map[string]string{KeySSHPrivateKey: "(secret)"}
	b, _ := json.Marshal(s)
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	for k, v := range top {
		if contains(objectKeys, k) {
			raw[k] = string(v)
		}
	}
	return raw
}

// edit changes one top-level object of a raw config through its JSON.
func edit(t *testing.T, raw map[string]string, key string, f func(v any) any) {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(raw[key]), &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(f(v))
	raw[key] = string(b)
}

func node(v any, i int) map[string]any { return v.([]any)[i].(map[string]any) }

// Invalid raw configs: wrong keys and shapes, each with its exact error set.
func TestDecode_RejectsInvalidRawConfigs(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(t *testing.T, raw map[string]string)
		want   []string
	}{
		{"misspelled top-level key", func(t *testing.T, raw map[string]string) { raw["nodez"] = raw["nodes"] }, []string{"FieldValueInvalid::nodez"}},
		{"look-alike top-level key (Cyrillic o)", func(t *testing.T, raw map[string]string) { raw["n\u043edes"] = "[]" }, []string{"FieldValueInvalid::n\u043edes"}},
		{"top-level key in the wrong case", func(t *testing.T, raw map[string]string) { raw["loadbalancer"] = "{}" }, []string{"FieldValueInvalid::loadbalancer"}},
		{"unknown VIP field", func(t *testing.T, raw map[string]string) {
			edit(t, raw, "vip", func(v any) any { v.(map[string]any)["adress"] = "192.168.122.101"; return v })
		}, []string{"FieldValueInvalid::vip.adress"}},
		{"unknown node field with index", func(t *testing.T, raw map[string]string) {
			edit(t, raw, "nodes", func(v any) any { node(v, 2)["sssh"] = map[string]any{}; return v })
		}, []string{"FieldValueInvalid::nodes[2].sssh"}},
		{"unknown field under a node's ssh", func(t *testing.T, raw map[string]string) {
			edit(t, raw, "nodes", func(v any) any { node(v, 1)["ssh"].(map[string]any)["hostkey"] = testKey2; return v })
		}, []string{"FieldValueInvalid::nodes[1].ssh.hostkey"}},
		{"string where an object belongs", func(t *testing.T, raw map[string]string) { raw["vip"] = "192.168.122.100" }, []string{"FieldValueTypeInvalid::vip"}},
		{"number where an object belongs", func(t *testing.T, raw map[string]string) { raw["k3s"] = "5" }, []string{"FieldValueTypeInvalid::k3s"}},
		{"string where a node's ssh object belongs", func(t *testing.T, raw map[string]string) {
			edit(t, raw, "nodes", func(v any) any { node(v, 2)["ssh"] = "root@10.0.0.1"; return v })
		}, []string{"FieldValueTypeInvalid::nodes[2].ssh"}},
		{"object where the node list belongs", func(t *testing.T, raw map[string]string) { raw["nodes"] = `{"name": "s1"}` }, []string{"FieldValueTypeInvalid::nodes"}},
		{"number where a string belongs", func(t *testing.T, raw map[string]string) {
			edit(t, raw, "nodes", func(v any) any { node(v, 3)["name"] = 7; return v })
		}, []string{"FieldValueTypeInvalid::nodes[3].name"}},
		{"string where a port number belongs", func(t *testing.T, raw map[string]string) {
			edit(t, raw, "nodes", func(v any) any { node(v, 3)["ssh"].(map[string]any)["port"] = "22"; return v })
		}, []string{"FieldValueTypeInvalid::nodes[3].ssh.port"}},
		{"fraction where a port number belongs", func(t *testing.T, raw map[string]string) {
			edit(t, raw, "network", func(v any) any { v.(map[string]any)["publicPorts"] = []any{80, 443.5}; return v })
		}, []string{"FieldValueTypeInvalid::network.publicPorts[1]"}},
		{"string where a boolean belongs", func(t *testing.T, raw map[string]string) {
			edit(t, raw, "vip", func(v any) any { v.(map[string]any)["unicast"] = "yes"; return v })
		}, []string{"FieldValueTypeInvalid::vip.unicast"}},
		{"decode errors do not hide validation errors", func(t *testing.T, raw map[string]string) {
			edit(t, raw, "vip", func(v any) any { v.(map[string]any)["unicast"] = "no"; return v })
			edit(t, raw, "k3s", func(v any) any { v.(map[string]any)["version"] = "latest"; return v })
			raw["hardenin"] = "{}"
		}, []string{"FieldValueTypeInvalid::vip.unicast", "FieldValueInvalid::k3s.version", "FieldValueInvalid::hardenin"}},
		{"unknown pool field and bad range together", func(t *testing.T, raw map[string]string) {
			edit(t, raw, "loadBalancer", func(v any) any {
				p := v.(map[string]any)["pools"].([]any)[1].(map[string]any)
				p["netwrok"], p["range"] = "internal", "nope"
				return v
			})
		}, []string{"FieldValueInvalid::loadBalancer.pools[1].netwrok", "FieldValueInvalid::loadBalancer.pools[1].range"}},
		{"falcoOutputUrls not a map", func(t *testing.T, raw map[string]string) { raw[KeyFalcoOutputURLs] = `["https://hooks.example/x"]` },
			[]string{"FieldValueInvalid::falcoOutputUrls"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := validRaw(t)
			tc.mutate(t, raw)
			_, v := Decode("test", raw)
			got := errorSet(v)
			want := append([]string(nil), tc.want...)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("errors:\n got %v\nwant %v\nfull: %v", got, want, v.Err())
			}
		})
	}
}

func TestDecode_ValidRawHasNoErrors(t *testing.T) {
	if _, v := Decode("test", validRaw(t)); len(v.Errors) > 0 {
		t.Fatal(v.Err())
	}
}

func TestDecode_DidYouMean(t *testing.T) {
	for key, want := range map[string]string{
		"nodez": "nodes", "n\u043edes": "nodes", "loadbalancer": "loadBalancer", "ｖｉｐ": "vip", "hard\u200bening": "hardening",
		"podSecurty": "podSecurity", "sshPrivatekey": "sshPrivateKey", "zzz": "",
	} {
		got := didYouMean(key, append(append([]string{}, stringKeys...), objectKeys...))
		if got != want {
			t.Errorf("didYouMean(%q) = %q, want %q", key, got, want)
		}
	}
	_, v := Decode("test", map[string]string{"vip": `{"adress": "10.0.0.1"}`})
	if !strings.Contains(v.Err().Error(), "vip.adress: Invalid value: \"adress\": unknown key; did you mean address?") {
		t.Errorf("message lacks the suggestion:\n%v", v.Err())
	}
}
