package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"
)

// decodeJSON reads the request body into v, rejecting unknown fields, wrong types and trailing
// data; on failure it has already written the 4xx envelope and returns false.
func decodeJSON(c *gin.Context, v any) bool {
	raw, ok := readBody(c)
	return ok && decodeBytes(c, raw, v)
}

// readBody reads the whole (size-limited) body, for handlers that look at it before decoding.
func readBody(c *gin.Context) ([]byte, bool) {
	raw, err := io.ReadAll(c.Request.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		abort(c, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("request body is larger than %d bytes", tooBig.Limit), "")
		return nil, false
	}
	if err != nil {
		abort(c, http.StatusBadRequest, "invalid_request", "cannot read the request body: "+err.Error(), "")
		return nil, false
	}
	return raw, true
}

// decodeBytes is decodeJSON of a body already read, which is the whole request body.
func decodeBytes(c *gin.Context, raw []byte, v any) bool {
	return decodeAt(c, raw, v, "")
}

// decodeAt decodes raw, the part of the body at path at ("" for the whole body, "jobs[2]" for
// an element of a batch), into v; the fields its errors name start with at.
func decodeAt(c *gin.Context, raw []byte, v any, at string) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON object")
	}
	if err == nil {
		return true
	}
	var (
		typeErr   *json.UnmarshalTypeError
		syntaxErr *json.SyntaxError
	)
	switch {
	case errors.Is(err, io.EOF):
		abort(c, http.StatusBadRequest, "invalid_request", "request body is empty; a JSON object is required", at)
	case errors.As(err, &typeErr):
		field := joinField(at, typeErr.Field)
		want := jsonTypeName(typeErr.Type.Kind().String())
		if field == "" {
			abort(c, http.StatusBadRequest, "invalid_field", fmt.Sprintf("the request body must be %s, got JSON %s", jsonBodyTypeName(want), typeErr.Value), "")
			return false
		}
		abort(c, http.StatusBadRequest, "invalid_field", fmt.Sprintf("%s must be %s, got JSON %s", field, want, typeErr.Value), field)
	case errors.As(err, &syntaxErr):
		abort(c, http.StatusBadRequest, "invalid_json", fmt.Sprintf("malformed JSON at byte %d: %v", syntaxErr.Offset, err), at)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		field := joinField(at, unknownFieldPath(raw, reflect.TypeOf(v), name))
		abort(c, http.StatusBadRequest, "unknown_field", fmt.Sprintf("unknown field %q", field), field)
	default:
		abort(c, http.StatusBadRequest, "invalid_json", err.Error(), at)
	}
	return false
}

// joinField is the dotted path of field inside at; either may be empty.
func joinField(at, field string) string {
	switch {
	case at == "":
		return field
	case field == "":
		return at
	}
	return at + "." + field
}

// jsonBodyTypeName is jsonTypeName said of the request body as a whole.
func jsonBodyTypeName(want string) string {
	switch want {
	case "an object":
		return "a JSON object"
	case "an array":
		return "a JSON array"
	}
	return want
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	}
	if strings.HasPrefix(kind, "int") || strings.HasPrefix(kind, "uint") || strings.HasPrefix(kind, "float") {
		return "a number"
	}
	return kind
}
