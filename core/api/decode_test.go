package api

import (
	"strings"
	"testing"
)

// A body the decoder refuses is a 400 whose field is the full path of the value at fault
// (options.zzz, jobs[1].options.compress) and whose message says what is wrong with it; a body
// that is not an object at all names no field and says "the request body".
func TestDecodeErrorsNameTheFullPath(t *testing.T) {
	t.Parallel()
	h := testServer(t, Deps{})
	cases := []struct {
		name, path, body string
		code, field      string
		message          string // a part of the message
	}{
		{"an array body", "/vms/list", `[1,2]`, "invalid_field", "", "the request body must be a JSON object, got JSON array"},
		{"a string body", "/convert", `"x"`, "invalid_field", "", "the request body must be a JSON object, got JSON string"},
		{"a number body", "/import-to-kvm", `3`, "invalid_field", "", "the request body must be a JSON object, got JSON number"},
		{"a number in a batch", "/jobs/submit", `[1,2]`, "invalid_field", "jobs[0]", "jobs[0] must be an object, got JSON number"},
		{"a wrong type in a batch's second job", "/jobs/submit", `[{},{"options":{"compress":"yes"}}]`, "invalid_field", "jobs[1].options.compress", "jobs[1].options.compress must be true or false"},
		{"an unknown field in a batch's second job", "/jobs/submit", `[{},{"import":{"zzz":1}}]`, "unknown_field", "jobs[1].import.zzz", `"jobs[1].import.zzz"`},
		{"a wrong nested type", "/jobs/submit", `{"options":{"compress":1}}`, "invalid_field", "options.compress", "options.compress must be true or false, got JSON number"},
		{"an unknown top-level field", "/vms/list", `{"provider":"x","colour":"red"}`, "unknown_field", "colour", `unknown field "colour"`},
		{"an unknown field under options", "/jobs/submit", `{"options":{"zzz_unknown":1}}`, "unknown_field", "options.zzz_unknown", `unknown field "options.zzz_unknown"`},
		{"an unknown field under hyper2kvm_integration", "/jobs/submit", `{"hyper2kvm_integration":{"enabled":true,"zzz":1}}`, "unknown_field", "hyper2kvm_integration.zzz", ""},
		{"an unknown field under import", "/jobs/submit", `{"vm_identifier":"a","import":{"zzz":{"a":[1]}}}`, "unknown_field", "import.zzz", ""},
		{"an unknown field under conversion_options", "/convert", `{"conversion_options":{"format":"qcow2","zzz":1}}`, "unknown_field", "conversion_options.zzz", ""},
		{"an unknown field under filter", "/vms/list", `{"provider":"x","filter":{"tags":["a"],"zzz":1}}`, "unknown_field", "filter.zzz", ""},
		{"a nested key the struct has, then an unknown one beside it", "/jobs/submit", `{"options":{"compress":true},"zzz":1}`, "unknown_field", "zzz", ""},
		{"keys match without regard to case", "/jobs/submit", `{"OPTIONS":{"Compress":true,"zzz":1}}`, "unknown_field", "OPTIONS.zzz", ""},
		{"trailing data", "/vms/list", `{} {}`, "invalid_json", "", "unexpected data"},
		{"an empty batch", "/jobs/submit", `[]`, "invalid_request", "", "empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body, e := send(t, h, testRequest{method: "POST", path: c.path, body: c.body, header: map[string]string{"Content-Type": "application/json"}})
			if code != 400 || e.Code != c.code || e.Field != c.field || !strings.Contains(e.Message, c.message) || strings.HasPrefix(e.Message, " ") {
				t.Errorf("POST %s %s = %d %s, want 400 %s naming %q saying %q", c.path, c.body, code, body, c.code, c.field, c.message)
			}
		})
	}
}
