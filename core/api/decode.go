package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// decodeJSON reads the request body into v, rejecting unknown fields, wrong types and trailing
// data; on failure it has already written the 4xx envelope and returns false.
func decodeJSON(c *gin.Context, v any) bool {
	return decodeFrom(c, c.Request.Body, v)
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

func decodeBytes(c *gin.Context, raw []byte, v any) bool {
	return decodeFrom(c, bytes.NewReader(raw), v)
}

func decodeFrom(c *gin.Context, r io.Reader, v any) bool {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON object")
	}
	if err == nil {
		return true
	}
	var (
		tooBig    *http.MaxBytesError
		typeErr   *json.UnmarshalTypeError
		syntaxErr *json.SyntaxError
	)
	switch {
	case errors.As(err, &tooBig):
		abort(c, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("request body is larger than %d bytes", tooBig.Limit), "")
	case errors.Is(err, io.EOF):
		abort(c, http.StatusBadRequest, "invalid_request", "request body is empty; a JSON object is required", "")
	case errors.As(err, &typeErr):
		abort(c, http.StatusBadRequest, "invalid_field", fmt.Sprintf("%s must be %s, got JSON %s", typeErr.Field, jsonTypeName(typeErr.Type.Kind().String()), typeErr.Value), typeErr.Field)
	case errors.As(err, &syntaxErr):
		abort(c, http.StatusBadRequest, "invalid_json", fmt.Sprintf("malformed JSON at byte %d: %v", syntaxErr.Offset, err), "")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		abort(c, http.StatusBadRequest, "unknown_field", fmt.Sprintf("unknown field %q", field), field)
	default:
		abort(c, http.StatusBadRequest, "invalid_json", err.Error(), "")
	}
	return false
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
