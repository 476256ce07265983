package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// unknownFieldPath finds where the unknown field name that encoding/json reported (it names
// the key only) sits in raw: it walks raw in document order against t, the type decoded into,
// and returns the dotted path of the first key t has no field for ("options.zzz",
// "disks[1].zzz"). When the walk finds none ending in name, it returns name.
func unknownFieldPath(raw []byte, t reflect.Type, name string) string {
	p, _ := walkUnknown(json.NewDecoder(bytes.NewReader(raw)), t, "")
	if p == name || strings.HasSuffix(p, "."+name) {
		return p
	}
	return name
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// walkUnknown reads the next value from dec; t is the type it decodes into, nil when the
// decoder does not look inside it (any, json.RawMessage, a type with its own UnmarshalJSON).
func walkUnknown(dec *json.Decoder, t reflect.Type, path string) (string, error) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || reflect.PointerTo(t).Implements(unmarshalerType) ||
		(t.Kind() != reflect.Struct && t.Kind() != reflect.Map && t.Kind() != reflect.Slice && t.Kind() != reflect.Array) {
		var skip json.RawMessage
		return "", dec.Decode(&skip)
	}
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return "", err
			}
			k, _ := key.(string)
			var child reflect.Type
			switch t.Kind() {
			case reflect.Struct:
				f, ok := fieldType(t, k)
				if !ok {
					return joinField(path, k), nil
				}
				child = f
			case reflect.Map:
				child = t.Elem()
			}
			if p, err := walkUnknown(dec, child, joinField(path, k)); p != "" || err != nil {
				return p, err
			}
		}
	case json.Delim('['):
		var elem reflect.Type
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if p, err := walkUnknown(dec, elem, fmt.Sprintf("%s[%d]", path, i)); p != "" || err != nil {
				return p, err
			}
		}
	default:
		return "", nil // a scalar where t wants more: a type error, not an unknown field
	}
	_, err = dec.Token() // the closing delimiter
	return "", err
}

// fieldType is the type of t's field that encoding/json decodes key into (jsonFields, as the
// OpenAPI description lists them); the match ignores case, as encoding/json's does.
func fieldType(t reflect.Type, key string) (reflect.Type, bool) {
	var folded reflect.Type
	for _, f := range jsonFields(t) {
		if f.name == key {
			return f.typ, true
		}
		if folded == nil && strings.EqualFold(f.name, key) {
			folded = f.typ
		}
	}
	return folded, folded != nil
}
