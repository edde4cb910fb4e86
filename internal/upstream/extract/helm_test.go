package extract

import (
	"reflect"
	"testing"
)

func TestHelmValues(t *testing.T) {
	files := map[string][]byte{
		"values.yaml": []byte(`
replicaCount: 1
image: {repository: x, tag: ""}
podAnnotations: {}
nodeSelector: {kubernetes.io/os: linux}
securityContext: {runAsUser: 101}
tolerations: []
extra: ~
service:
  enabled: true
  annotations: {}
`),
		"values.schema.json": []byte(`{"properties": {"service": {"type": "object", "properties": {"port": {"type": "integer"}}}, "strict": {"type": "object", "additionalProperties": false, "properties": {"a": {"type": "string"}}}}}`),
		"templates/deploy.yaml": []byte(`
{{- with .Values.securityContext }}
securityContext: {{- toYaml . | nindent 2 }}
{{- end }}
{{- if .Values.service.nodePorts.http }}{{ .Values.service.nodePorts.http }}{{ end }}
`),
	}
	got, err := HelmValues(files)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"replicaCount": ValueNumber, "image": ValueMap, "image.repository": ValueString, "image.tag": ValueString,
		"podAnnotations": ValueObject, "nodeSelector": ValueObject, "securityContext": ValueObject,
		"tolerations": ValueList, "extra": ValueAny, "service": ValueMap, "service.enabled": ValueBool,
		"service.annotations": ValueObject, "service.port": ValueNumber,
		"service.nodePorts": ValueMap, "service.nodePorts.http": ValueAny,
		"strict": ValueMap, "strict.a": ValueString,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}
