package provider

import "regexp"

var (
	unsafeRun   = regexp.MustCompile(`[^A-Za-z0-9._-]+`)
	leadingDots = regexp.MustCompile(`^[.-]+`)
)

// SafeName turns a name (a VM's, a schedule's, a policy's) into one file-name component. The
// daemon and the providers all name files and folders with it, so the same VM gets the same
// name wherever it is written.
//
//   - Each run of characters other than ASCII letters, digits, '.', '_' and '-' becomes one '_'
//     ("my vm/1" → "my_vm_1", "日本" → "_").
//   - A leading run of '.' and '-' becomes one '_', so the result is never ".", "..", a hidden
//     file or something a command takes for a flag ("..", "-rf", ".x" → "_", "_rf", "_x").
//   - An empty name becomes "_": the result is never empty, so joining it onto a folder never
//     yields the folder itself. Callers with a better fallback (a VM's ID) check for "" first.
//
// Different names may map to the same result ("a b" and "a/b"); callers that need distinct
// folders compare SafeName results.
func SafeName(s string) string {
	s = leadingDots.ReplaceAllString(unsafeRun.ReplaceAllString(s, "_"), "_")
	if s == "" {
		return "_"
	}
	return s
}
