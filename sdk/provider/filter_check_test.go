package provider

import (
	"errors"
	"testing"
)

func TestFilterValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		f     Filter
		field string // "" when valid
		msg   string
	}{
		{"empty", Filter{}, "", ""},
		{"every power state", Filter{PowerState: PowerSuspended, NamePattern: "web-*"}, "", ""},
		{"a power state of another platform", Filter{PowerState: "running"}, FilterPowerState, `status must be poweredOn, poweredOff or suspended, got "running"`},
		{"a broken glob", Filter{NamePattern: "web-["}, FilterNamePattern, "name_pattern is not a valid glob: syntax error in pattern"},
	}
	for _, c := range cases {
		checkFilterError(t, c.name, c.f.Validate(), c.field, c.msg)
	}
}

func TestCheckFilterFields(t *testing.T) {
	t.Parallel()
	cloud := Info{Name: "cloud", Filters: []string{FilterDatacenter, FilterPowerState, FilterTags}}
	cases := []struct {
		name  string
		info  Info
		f     Filter
		field string
		msg   string
	}{
		{"no declaration honours all", Info{}, Filter{Datacenter: "dc", Folder: "/f", PowerState: PowerOn, Tags: []string{"a"}, NamePattern: "*"}, "", ""},
		{"honoured fields", cloud, Filter{Datacenter: "us-east-1", PowerState: PowerOn, Tags: []string{"env=prod"}}, "", ""},
		{"an empty filter", cloud, Filter{}, "", ""},
		{"a folder on a cloud", cloud, Filter{Datacenter: "us-east-1", Folder: "/DC1/vm"}, FilterFolder,
			"folder is not supported by provider aws-prod, which filters by datacenter, status, tags only"},
		{"a name pattern on a cloud", cloud, Filter{NamePattern: "web-*"}, FilterNamePattern,
			"name_pattern is not supported by provider aws-prod, which filters by datacenter, status, tags only"},
	}
	for _, c := range cases {
		checkFilterError(t, c.name, CheckFilterFields("aws-prod", c.info, c.f), c.field, c.msg)
	}
}

func checkFilterError(t *testing.T, name string, err error, field, msg string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Errorf("%s: %v, want no error", name, err)
		}
		return
	}
	var fe *FilterError
	if !errors.As(err, &fe) || fe.Field != field || err.Error() != msg || !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("%s: %v, want a FilterError on %s saying %q", name, err, field, msg)
	}
}
