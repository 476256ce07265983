package provider

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// FilterError is a Filter field the host refuses before asking a provider: Field is its JSON
// name (a Filter* constant), Message what is wrong with it. It wraps ErrInvalidArgument. The
// API and the backup policies prefix Field with where the filter sits in their request
// ("filter.", "vm_filter.").
type FilterError struct {
	Field   string
	Message string
}

func (e *FilterError) Error() string { return e.Field + " " + e.Message }
func (e *FilterError) Unwrap() error { return ErrInvalidArgument }

// Validate checks what a filter says on its own: a power state of the contract's and a name
// pattern that is a valid glob (a broken one would match nothing, silently).
func (f Filter) Validate() error {
	switch f.PowerState {
	case "", PowerOn, PowerOff, PowerSuspended:
	default:
		return &FilterError{Field: FilterPowerState, Message: fmt.Sprintf("must be %s, %s or %s, got %q", PowerOn, PowerOff, PowerSuspended, f.PowerState)}
	}
	if _, err := path.Match(f.NamePattern, ""); err != nil {
		return &FilterError{Field: FilterNamePattern, Message: "is not a valid glob: " + err.Error()}
	}
	return nil
}

// CheckFilterFields refuses the first field set in f that the provider does not honour
// (info.Filters; empty honours all). A provider ignores a filter it does not know, so without
// this check a listing would be silently wider, and a backup policy would back up every VM.
// name is the provider as the user named it (its instance), for the message.
func CheckFilterFields(name string, info Info, f Filter) error {
	if len(info.Filters) == 0 {
		return nil
	}
	set := []struct {
		field string
		on    bool
	}{
		{FilterDatacenter, f.Datacenter != ""}, {FilterFolder, f.Folder != ""},
		{FilterPowerState, f.PowerState != ""}, {FilterTags, len(f.Tags) > 0},
		{FilterNamePattern, f.NamePattern != ""},
	}
	for _, s := range set {
		if s.on && !slices.Contains(info.Filters, s.field) {
			return &FilterError{Field: s.field, Message: fmt.Sprintf("is not supported by provider %s, which filters by %s only",
				name, strings.Join(info.Filters, ", "))}
		}
	}
	return nil
}
