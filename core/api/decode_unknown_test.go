package api

import (
	"encoding/json"
	"reflect"
	"testing"
)

// unknownFieldPath follows encoding/json's view of a type: embedded structs are flattened,
// maps and slices are walked into, and what the decoder does not look inside is skipped.
func TestUnknownFieldPath(t *testing.T) {
	t.Parallel()
	type leaf struct {
		A int `json:"a"`
	}
	type Embedded struct {
		E leaf `json:"e"`
	}
	type root struct {
		Embedded
		Hidden int             `json:"-"`
		List   []leaf          `json:"list"`
		ByName map[string]leaf `json:"by_name"`
		Any    any             `json:"any"`
		Raw    json.RawMessage `json:"raw"`
		Ptr    *leaf           `json:"ptr"`
	}
	cases := []struct {
		name, body, unknown, want string
	}{
		{"top level", `{"zz":1}`, "zz", "zz"},
		{"a field of an embedded struct", `{"e":{"a":1,"zz":1}}`, "zz", "e.zz"},
		{"a field named -", `{"Hidden":1}`, "Hidden", "Hidden"},
		{"the second element of a list", `{"list":[{"a":1},{"zz":1}]}`, "zz", "list[1].zz"},
		{"a map value", `{"by_name":{"k":{"zz":1}}}`, "zz", "by_name.k.zz"},
		{"through a pointer", `{"ptr":{"zz":1}}`, "zz", "ptr.zz"},
		{"any and raw are not looked into", `{"any":{"zz":1},"raw":{"zz":1},"list":[{"zz":2}]}`, "zz", "list[0].zz"},
		{"a name the walk does not find is returned as it came", `{"a":1}`, "zz", "zz"},
	}
	for _, c := range cases {
		if got := unknownFieldPath([]byte(c.body), reflect.TypeFor[*root](), c.unknown); got != c.want {
			t.Errorf("%s: unknownFieldPath(%s) = %q, want %q", c.name, c.body, got, c.want)
		}
	}
}
