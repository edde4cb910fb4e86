package policies

import (
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// state says how much a policy can know about a value. During preview many
// inputs are unknown (they depend on resources not created yet); a policy
// must never report what it cannot see, so every lookup distinguishes
// "missing" from "unknown".
type state int

const (
	missing state = iota // absent or null
	unknown              // computed somewhere on the path
	known
)

// val is one looked-up property value with its state.
type val struct {
	v  property.Value
	st state
}

// at walks nested maps by key. A computed value on the way makes the result
// unknown; a non-map on the way makes it missing.
func at(m property.Map, path ...string) val {
	cur := property.New(m)
	for _, k := range path {
		switch {
		case cur.IsComputed():
			return val{st: unknown}
		case !cur.IsMap():
			return val{st: missing}
		}
		next, ok := cur.AsMap().GetOk(k)
		if !ok {
			return val{st: missing}
		}
		cur = next
	}
	return wrap(cur)
}

// wrap classifies a single value.
func wrap(v property.Value) val {
	switch {
	case v.IsComputed():
		return val{v: v, st: unknown}
	case v.IsNull():
		return val{v: v, st: missing}
	}
	return val{v: v, st: known}
}

func (x val) Unknown() bool { return x.st == unknown }
func (x val) Missing() bool { return x.st == missing }

// Str is the value as a string when it is a known string.
func (x val) Str() (string, bool) {
	if x.st == known && x.v.IsString() {
		return x.v.AsString(), true
	}
	return "", false
}

// NonEmpty reports a known, non-empty string.
func (x val) NonEmpty() bool {
	s, ok := x.Str()
	return ok && s != ""
}

// Bool is the value as a bool when it is a known bool.
func (x val) Bool() (bool, bool) {
	if x.st == known && x.v.IsBool() {
		return x.v.AsBool(), true
	}
	return false, false
}

// Map is the value as a map when it is a known map.
func (x val) Map() (property.Map, bool) {
	if x.st == known && x.v.IsMap() {
		return x.v.AsMap(), true
	}
	return property.Map{}, false
}

// Items is the value's elements when it is a known array.
func (x val) Items() ([]property.Value, bool) {
	if x.st == known && x.v.IsArray() {
		return x.v.AsArray().AsSlice(), true
	}
	return nil, false
}

// Secret reports whether the value itself is marked secret.
func (x val) Secret() bool { return x.v.Secret() }

// strings returns the known strings of an array value and whether any
// element was unknown.
func (x val) strings() (out []string, anyUnknown bool) {
	if x.Unknown() {
		return nil, true
	}
	items, _ := x.Items()
	for _, it := range items {
		w := wrap(it)
		if w.Unknown() {
			anyUnknown = true
			continue
		}
		if s, ok := w.Str(); ok {
			out = append(out, s)
		}
	}
	return out, anyUnknown
}

func itoa(i int) string { return strconv.Itoa(i) }
