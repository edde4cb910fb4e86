package stacks

import (
	"reflect"
	"strings"
	"testing"
)

// secretMarker is part of every secret-shaped value below; no error message
// may contain it.
const secretMarker = "s3cr3tM4rk3rQx7"

var secretShapes = map[string]string{
	"private key":   "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE" + secretMarker + "AAAA\n-----END OPENSSH PRIVATE KEY-----\n",
	"webhook URL":   "https://hooks.slack.com/services/T00000000/B00000000/" + secretMarker,
	"URL with auth": "https://admin:" + secretMarker + "@mirror.example/k3s",
	"token":         "ghp_" + secretMarker + "abcdefghijklmnopqrstuvwxyz0123",
	"one line PEM":  "-----BEGIN RSA PRIVATE KEY----- MIIEow" + secretMarker,
}

// prepared is validSpec with every optional struct allocated and every
// list holding an element, so each string field exists once.
func prepared() *ClusterSpec {
	s := validSpec()
	s.SSH.Bastion = &Bastion{Host: "10.9.9.9", HostKey: testKey2}
	s.Nodes[0].SSH.Bastion = &Bastion{Host: "10.9.9.8", HostKey: testKey2}
	s.K3s.Airgap = &Airgap{BinaryPath: "/srv/k3s", BinarySHA256: strings.Repeat("a", 64)}
	s.K3s.ExtraTLSSANs = []string{"k3s.example"}
	s.PodSecurity.ExemptNamespaces = []Exemption{{Namespace: "monitoring", Reason: "node exporter"}}
	s.Falco.Outputs = []FalcoOutput{{Type: "slack"}}
	s.Secrets.FalcoOutputURLs = map[string]bool{"slack": true}
	s.Responder.AllowNamespaces = []string{"ci"}
	return s
}

// stringFields calls f with the path and value of every settable string.
func stringFields(v reflect.Value, path string, f func(path string, v reflect.Value)) {
	switch v.Kind() {
	case reflect.String:
		f(path, v)
	case reflect.Pointer:
		if !v.IsNil() {
			stringFields(v.Elem(), path, f)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if name := jsonFieldName(v.Type().Field(i)); name != "" {
				stringFields(v.Field(i), path+"."+name, f)
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			stringFields(v.Index(i), path+"["+string(rune('0'+i))+"]", f)
		}
	}
}

// No error message repeats a secret-shaped value, whichever field holds it.
func TestValidate_NoSecretInAnyErrorMessage(t *testing.T) {
	var paths []string
	stringFields(reflect.ValueOf(prepared()), "", func(p string, _ reflect.Value) { paths = append(paths, p) })
	if len(paths) < 40 {
		t.Fatalf("only %d string fields found", len(paths))
	}
	for _, target := range paths {
		for shape, secret := range secretShapes {
			s := prepared()
			stringFields(reflect.ValueOf(s), "", func(p string, v reflect.Value) {
				if p == target {
					v.SetString(secret)
				}
			})
			s.ApplyDefaults("prod")
			v := s.Validate()
			if err := v.Err(); err != nil && strings.Contains(err.Error(), secretMarker) {
				t.Errorf("%s = %s: the error repeats it:\n%v", target, shape, err)
			}
		}
	}
}
