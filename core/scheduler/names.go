package scheduler

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// A schedule's or a policy's name names its folder: schedules/<SafeName(name)> (unless the job
// definition gives an export_path) and <base_path>/policies/<SafeName(name)>. So a name must make
// a usable file name, and no two schedules (no two policies) may share a folder name: runs of the
// same slot would write into the same timestamped folder and one of them would be lost.

// maxNameBytes bounds a name. A longer one made every run fail with "file name too long" (most
// file systems allow 255 bytes per path component); this leaves room to spare.
const maxNameBytes = 128

// checkName refuses a name that cannot name a folder: empty, longer than maxNameBytes, or with a
// control character (NUL, newline…), which would also garble log lines.
func checkName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return fieldErr("name", "is required")
	case len(name) > maxNameBytes:
		return fieldErr("name", "is %d bytes long; at most %d, as it names a folder", len(name), maxNameBytes)
	}
	if i := strings.IndexFunc(name, unicode.IsControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(name[i:])
		return fieldErr("name", "must not contain control characters (%U at byte %d)", r, i)
	}
	return nil
}

// scheduleNameFree refuses name if a schedule other than exceptID has the same folder name.
// The caller holds s.names until it has stored the schedule.
func (s *Scheduler) scheduleNameFree(name, exceptID string) error {
	list, err := s.ListSchedules()
	if err != nil {
		return fmt.Errorf("check schedule name %q is free: %w", name, err)
	}
	for _, other := range list {
		if other.ID != exceptID && provider.SafeName(other.Name) == provider.SafeName(name) {
			return fieldErr("name", "%s; schedules own a folder each", taken("schedule", other.Name, name))
		}
	}
	return nil
}

// policyNameFree refuses name if a policy has the same folder name. The caller holds s.names
// until it has stored the policy.
func (s *Scheduler) policyNameFree(name string) error {
	list, err := s.ListPolicies()
	if err != nil {
		return fmt.Errorf("check policy name %q is free: %w", name, err)
	}
	for _, other := range list {
		if provider.SafeName(other.Name) == provider.SafeName(name) {
			return fieldErr("name", "%s; policies own a folder each", taken("policy", other.Name, name))
		}
	}
	return nil
}

// taken names the existing one by its own name, which differs from the new name when only their
// folder names are the same ("a b" and "a/b" are both "a_b").
func taken(kind, existing, name string) string {
	if existing == name {
		return fmt.Sprintf("a %s named %q exists", kind, existing)
	}
	return fmt.Sprintf("a %s named %q exists, and %q makes the same folder name %q", kind, existing, name, provider.SafeName(name))
}
