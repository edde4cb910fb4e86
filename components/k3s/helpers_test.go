package k3s

import (
	"bytes"
	"encoding/base64"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
