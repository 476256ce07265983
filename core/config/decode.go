package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
	"gopkg.in/yaml.v3"
)

// decoder walks a YAML tree into a typed value and, unlike yaml.v3's own decoding, keeps going
// after a problem so that every unknown key and wrong type in the file is reported in one run,
// each with the dotted path a user can find in the file.
type decoder struct {
	lookup   func(string) (string, bool)
	problems []Problem
}

var durationType = reflect.TypeOf(Duration(0))

func (d *decoder) fail(path, format string, args ...any) {
	d.problems = append(d.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// scalar returns the expanded text of a scalar node and how to quote it in an error: the text
// as written in the file, so a secret pulled from the environment is never echoed back.
func (d *decoder) scalar(path string, n *yaml.Node) (value, shown string, ok bool) {
	v, err := expand(n.Value, d.lookup)
	if err != nil {
		d.fail(path, "%v", err)
		return "", "", false
	}
	return v, strconv.Quote(n.Value), true
}

func (d *decoder) decode(path string, n *yaml.Node, v reflect.Value) {
	for n.Kind == yaml.DocumentNode || n.Kind == yaml.AliasNode {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		} else if len(n.Content) > 0 {
			n = n.Content[0]
		} else {
			return
		}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // "key:" with nothing after it keeps the default
	}
	if v.Type() == durationType {
		d.decodeDuration(path, n, v)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(path, n, v)
	case reflect.Map:
		d.decodeMap(path, n, v)
	case reflect.Slice:
		d.decodeSlice(path, n, v)
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		d.decode(path, n, elem.Elem())
		v.Set(elem)
	case reflect.String:
		if d.expect(path, n, yaml.ScalarNode, "a string") {
			if s, _, ok := d.scalar(path, n); ok {
				v.SetString(s)
			}
		}
	case reflect.Float64:
		if d.expect(path, n, yaml.ScalarNode, "a number") {
			if s, shown, ok := d.scalar(path, n); ok {
				f, err := strconv.ParseFloat(s, 64)
				if err != nil {
					d.fail(path, "must be a number, got %s", shown)
					return
				}
				v.SetFloat(f)
			}
		}
	case reflect.Int, reflect.Int64:
		if d.expect(path, n, yaml.ScalarNode, "an integer") {
			if s, shown, ok := d.scalar(path, n); ok {
				i, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 0, 64)
				if err != nil {
					d.fail(path, "must be an integer, got %s", shown)
					return
				}
				v.SetInt(i)
			}
		}
	case reflect.Bool:
		if d.expect(path, n, yaml.ScalarNode, "true or false") {
			if s, shown, ok := d.scalar(path, n); ok {
				b, known := parseBool(s)
				if !known {
					d.fail(path, "must be true or false, got %s", shown)
					return
				}
				v.SetBool(b)
			}
		}
	case reflect.Interface:
		v.Set(reflect.ValueOf(d.decodeAny(path, n)))
	default:
		panic(fmt.Sprintf("config: field type %s at %s has no decoder", v.Type(), path))
	}
}

func (d *decoder) expect(path string, n *yaml.Node, kind yaml.Kind, what string) bool {
	if n.Kind == kind {
		return true
	}
	d.fail(path, "must be %s, got %s", what, kindName(n.Kind))
	return false
}

func (d *decoder) decodeStruct(path string, n *yaml.Node, v reflect.Value) {
	if !d.expect(path, n, yaml.MappingNode, "a mapping of keys") {
		return
	}
	fields, remain := structFields(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i].Value, n.Content[i+1]
		sub := join(path, key)
		if idx, ok := fields[key]; ok {
			d.decode(sub, val, v.Field(idx))
			continue
		}
		if remain < 0 {
			d.fail(sub, "unknown key%s", suggest(key, fields))
			continue
		}
		m := v.Field(remain)
		if m.IsNil() {
			m.Set(reflect.MakeMap(m.Type()))
		}
		m.SetMapIndex(reflect.ValueOf(key), reflect.ValueOf(d.decodeAny(sub, val)))
	}
}

func (d *decoder) decodeMap(path string, n *yaml.Node, v reflect.Value) {
	if !d.expect(path, n, yaml.MappingNode, "a mapping of keys") {
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i].Value
		elem := reflect.New(v.Type().Elem()).Elem()
		if old := v.MapIndex(reflect.ValueOf(key)); old.IsValid() {
			elem.Set(old)
		}
		d.decode(join(path, key), n.Content[i+1], elem)
		v.SetMapIndex(reflect.ValueOf(key), elem)
	}
}

func (d *decoder) decodeSlice(path string, n *yaml.Node, v reflect.Value) {
	if !d.expect(path, n, yaml.SequenceNode, "a list") {
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(fmt.Sprintf("%s[%d]", path, i), item, s.Index(i))
	}
	v.Set(s)
}

func (d *decoder) decodeDuration(path string, n *yaml.Node, v reflect.Value) {
	if !d.expect(path, n, yaml.ScalarNode, `a duration like "5s" or "2h"`) {
		return
	}
	s, shown, ok := d.scalar(path, n)
	if !ok {
		return
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		d.fail(path, `must be a duration like "5s" or "2h", got %s`, shown)
		return
	}
	v.SetInt(int64(dur))
}

// decodeAny turns a provider's own settings into plain Go values (map[string]any, []any,
// string, int, float64, bool), expanding ${ENV} in every string.
func (d *decoder) decodeAny(path string, n *yaml.Node) any {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return d.decodeAny(path, n.Content[0])
	case yaml.AliasNode:
		return d.decodeAny(path, n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = d.decodeAny(join(path, n.Content[i].Value), n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		for i, item := range n.Content {
			l[i] = d.decodeAny(fmt.Sprintf("%s[%d]", path, i), item)
		}
		return l
	}
	if strings.Contains(n.Value, "$") {
		s, _, _ := d.scalar(path, n)
		return s
	}
	var out any
	if err := n.Decode(&out); err != nil {
		d.fail(path, "%v", err)
	}
	return out
}

// structFields maps yaml keys to field indexes; remain is the index of the ",remain" map, or -1.
func structFields(t reflect.Type) (fields map[string]int, remain int) {
	fields, remain = map[string]int{}, -1
	for i := 0; i < t.NumField(); i++ {
		name, opts, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if opts == "remain" {
			remain = i
			continue
		}
		fields[name] = i
	}
	return fields, remain
}

func parseBool(s string) (value, known bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	return false, false
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	}
	return "something else"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// suggest names the known key closest to a misspelt one, when one is close enough to be meant.
func suggest(key string, fields map[string]int) string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	if best := provider.ClosestName(key, names); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}
