package vip

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzRenderKeepalivedConf feeds any string to every value that reaches
// keepalived.conf. A conf that renders must read back, with keepalived's
// lexical rules, as the same words in the same lines as a benign conf of
// the same shape: a value can change only its own word, never add a
// directive, a block or a comment.
func FuzzRenderKeepalivedConf(f *testing.F) {
	f.Add("server-1", "eth0", "192.168.122.100", "192.168.122.11", "192.168.122.12", 51, 24)
	f.Add("s1\n    script_user nobody", "eth0", "10.0.0.100", "", "", 7, 24)
	f.Add("s1", "eth0 }\nvrrp_script x {", "10.0.0.100", "10.0.0.11", "10.0.0.12", 7, 24)
	f.Add("s1", "eth0#", "10.0.0.100 dev eth1", "10.0.0.11", "10.0.0.12\nnotify /tmp/x", 7, 24)
	f.Add("$X", "@eth0", "10.0.0.100", "", "", 1, 32)
	f.Add("s1", "eth\"0", "10.0.0.100", "", "", 255, 8)
	f.Fuzz(func(t *testing.T, routerID, iface, vip, src, peer string, vrid, prefix int) {
		c := KeepalivedConfig{RouterID: routerID, Interface: iface, VirtualRouterID: vrid, VIP: vip, PrefixLen: prefix,
			AuthPass: AuthPassPlaceholder, UnicastSrcIP: src}
		if peer != "" {
			c.UnicastPeers = []string{peer}
		}
		got, err := RenderKeepalivedConf(c)
		if err != nil {
			return
		}
		ref := KeepalivedConfig{RouterID: "refrouter", Interface: "refif0", VirtualRouterID: 51, VIP: "192.0.2.1", PrefixLen: 24,
			AuthPass: AuthPassPlaceholder}
		values := map[string]string{"refrouter": routerID, "refif0": iface, "51": strconv.Itoa(vrid), "192.0.2.1/24": vip + "/" + strconv.Itoa(prefix)}
		if src != "" {
			ref.UnicastSrcIP = "192.0.2.2"
			values["192.0.2.2"] = src
		}
		if peer != "" {
			ref.UnicastPeers = []string{"192.0.2.3"}
			values["192.0.2.3"] = peer
		}
		want, err := RenderKeepalivedConf(ref)
		if err != nil {
			t.Fatal(err)
		}
		gotLines, wantLines := keepalivedWords(string(got)), keepalivedWords(string(want))
		if len(gotLines) != len(wantLines) {
			t.Fatalf("%d lines with words, a benign conf has %d:\n%s", len(gotLines), len(wantLines), got)
		}
		for i := range wantLines {
			if len(gotLines[i]) != len(wantLines[i]) {
				t.Fatalf("line %d has words %q, a benign conf %q", i, gotLines[i], wantLines[i])
			}
			for j, w := range wantLines[i] {
				exp, isValue := values[w]
				if !isValue {
					exp = w
				}
				if gotLines[i][j] != exp {
					t.Fatalf("line %d word %d: %q, want %q\n%s", i, j, gotLines[i][j], exp, got)
				}
			}
		}
	})
}

// keepalivedWords splits a conf as keepalived's lexer does: lines, words
// separated by whitespace, '!' or '#' starting a comment, a double-quoted
// string one word, '{' and '}' words of their own.
func keepalivedWords(conf string) [][]string {
	var out [][]string
	for _, line := range strings.Split(conf, "\n") {
		var words []string
		var cur strings.Builder
		flush := func() {
			if cur.Len() > 0 {
				words = append(words, cur.String())
				cur.Reset()
			}
		}
		quoted := false
	scan:
		for _, r := range line {
			switch {
			case quoted:
				cur.WriteRune(r)
				if r == '"' {
					quoted = false
					flush()
				}
			case r == '"':
				flush()
				cur.WriteRune(r)
				quoted = true
			case r == '!' || r == '#':
				break scan
			case r == '{' || r == '}':
				flush()
				words = append(words, string(r))
			case r == ' ' || r == '\t' || r == '\r' || r == '\v' || r == '\f':
				flush()
			default:
				cur.WriteRune(r)
			}
		}
		flush()
		if len(words) > 0 {
			out = append(out, words)
		}
	}
	return out
}
