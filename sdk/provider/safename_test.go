package provider

import "testing"

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"web01":            "web01",
		"my vm":            "my_vm",
		"a  /\\ b":         "a_b",
		"db/prod":          "db_prod",
		"app-1.example_x":  "app-1.example_x",
		"tab\there":        "tab_here",
		"日本":               "_",
		"vm-日本-1":          "vm-_-1",
		"":                 "_",
		".":                "_",
		"..":               "_",
		"../etc/passwd":    "__etc_passwd",
		".hidden":          "_hidden",
		"-rf":              "_rf",
		"--.-x":            "_x",
		"trailing.":        "trailing.",
		"a..b":             "a..b",
		"Ubuntu 22.04 LTS": "Ubuntu_22.04_LTS",
	} {
		if got := SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
}
