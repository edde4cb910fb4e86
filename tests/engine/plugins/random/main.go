// Command pulumi-resource-random is the engine tier's test stand-in for the
// pulumi-random provider v4.21.2 (bridged terraform-provider-random; its
// provider module is not served here): random:index/randomPassword and
// random:index/randomBytes with the outputs this program reads, secret as
// the SDK marks them. See tests/engine/README.md. Tests only.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/crypto/bcrypt"

	"k3s-onprem/tests/engine/plugins/internal/testprovider"
)

func main() {
	testprovider.Main(&testprovider.Provider{
		Name:    "random",
		Version: "4.21.2",
		Types: map[string]testprovider.Type{
			"random:index/randomPassword:RandomPassword": password{},
			"random:index/randomBytes:RandomBytes":       randomBytes{},
		},
	})
}

// Character sets and the default special set of terraform-provider-random
// (internal/random/string.go).
const (
	lowerChars     = "abcdefghijklmnopqrstuvwxyz"
	upperChars     = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	numericChars   = "0123456789"
	defaultSpecial = "!@#$%&*()-_=+[]{}<>:?"
)

// replaceAll: every argument of these resources is RequiresReplace upstream.
type replaceAll struct{}

func (replaceAll) ReplaceKeys() map[string]bool {
	return map[string]bool{"length": true, "lower": true, "upper": true, "numeric": true, "number": true, "special": true,
		"minLower": true, "minUpper": true, "minNumeric": true, "minSpecial": true, "overrideSpecial": true, "keepers": true}
}

func (replaceAll) Update(_ context.Context, _ testprovider.Op, _ string, old, _ resource.PropertyMap) (resource.PropertyMap, error) {
	return old, nil
}

func (replaceAll) Delete(context.Context, testprovider.Op, string, resource.PropertyMap) error {
	return nil
}

func checkLength(news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure) {
	if v, ok := news["length"]; !ok || (!v.IsComputed() && (!v.IsNumber() || v.NumberValue() < 1)) {
		return news, []*pulumirpc.CheckFailure{{Property: "length", Reason: "length must be a number >= 1"}}
	}
	return news, nil
}

// password is random:index/randomPassword:RandomPassword.
type password struct{ replaceAll }

func (password) Check(news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure) {
	return checkLength(news)
}

func (password) Create(_ context.Context, op testprovider.Op, in resource.PropertyMap) (string, resource.PropertyMap, error) {
	out := testprovider.Copy(in)
	for k, d := range map[string]bool{"lower": true, "upper": true, "numeric": true, "number": true, "special": true} {
		out[resource.PropertyKey(k)] = resource.NewProperty(testprovider.Bool(in, k, d))
	}
	for _, k := range []string{"minLower", "minUpper", "minNumeric", "minSpecial"} {
		out[resource.PropertyKey(k)] = resource.NewProperty(testprovider.Num(in, k, 0))
	}
	if op.Preview {
		out["result"] = resource.MakeComputed(resource.NewProperty(""))
		out["bcryptHash"] = resource.MakeComputed(resource.NewProperty(""))
		return "", out, nil
	}
	special := defaultSpecial
	if s, ok := testprovider.Str(in, "overrideSpecial"); ok {
		special = s
	}
	result, err := generate(int(testprovider.Num(in, "length", 0)), []class{
		{lowerChars, testprovider.Bool(in, "lower", true), int(testprovider.Num(in, "minLower", 0))},
		{upperChars, testprovider.Bool(in, "upper", true), int(testprovider.Num(in, "minUpper", 0))},
		{numericChars, testprovider.Bool(in, "numeric", true) && testprovider.Bool(in, "number", true), int(testprovider.Num(in, "minNumeric", 0))},
		{special, testprovider.Bool(in, "special", true), int(testprovider.Num(in, "minSpecial", 0))},
	})
	if err != nil {
		return "", nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(result), bcrypt.DefaultCost)
	if err != nil {
		return "", nil, err
	}
	out["result"] = resource.MakeSecret(resource.NewProperty(result))
	out["bcryptHash"] = resource.MakeSecret(resource.NewProperty(string(hash)))
	// The id is not read by the program; "none" is a placeholder.
	return "none", out, nil
}

type class struct {
	chars   string
	enabled bool
	min     int
}

// generate picks each class's minimum first, fills the rest from every
// enabled class and shuffles, as terraform-provider-random does.
func generate(length int, classes []class) (string, error) {
	var all string
	var out []byte
	for _, c := range classes {
		if !c.enabled {
			continue
		}
		all += c.chars
		for range c.min {
			b, err := pick(c.chars)
			if err != nil {
				return "", err
			}
			out = append(out, b)
		}
	}
	if all == "" {
		return "", fmt.Errorf("no character class enabled")
	}
	for len(out) < length {
		b, err := pick(all)
		if err != nil {
			return "", err
		}
		out = append(out, b)
	}
	for i := len(out) - 1; i > 0; i-- {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", err
		}
		out[i], out[j.Int64()] = out[j.Int64()], out[i]
	}
	return string(out), nil
}

func pick(chars string) (byte, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
	if err != nil {
		return 0, err
	}
	return chars[n.Int64()], nil
}

// randomBytes is random:index/randomBytes:RandomBytes: base64 and hex of
// length random bytes, both secret.
type randomBytes struct{ replaceAll }

func (randomBytes) Check(news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure) {
	return checkLength(news)
}

func (randomBytes) Create(_ context.Context, op testprovider.Op, in resource.PropertyMap) (string, resource.PropertyMap, error) {
	out := testprovider.Copy(in)
	if op.Preview {
		out["base64"] = resource.MakeComputed(resource.NewProperty(""))
		out["hex"] = resource.MakeComputed(resource.NewProperty(""))
		return "", out, nil
	}
	b := make([]byte, int(testprovider.Num(in, "length", 0)))
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	out["base64"] = resource.MakeSecret(resource.NewProperty(base64.StdEncoding.EncodeToString(b)))
	out["hex"] = resource.MakeSecret(resource.NewProperty(hex.EncodeToString(b)))
	return "none", out, nil
}
