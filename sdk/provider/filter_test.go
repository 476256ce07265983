package provider

import "testing"

func TestMatchTags(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		have, want []string
		match      bool
	}{
		{"nothing wanted", []string{"env=prod"}, nil, true},
		{"nothing wanted, no tags", nil, nil, true},
		{"bare tag", []string{"production"}, []string{"production"}, true},
		{"bare tag absent", []string{"test"}, []string{"production"}, false},
		{"key matches key=value", []string{"env=prod"}, []string{"env"}, true},
		{"key matches key= (empty value)", []string{"env="}, []string{"env"}, true},
		{"key=value exact", []string{"env=prod"}, []string{"env=prod"}, true},
		{"key=value other value", []string{"env=test"}, []string{"env=prod"}, false},
		{"key=value against bare key", []string{"env"}, []string{"env=prod"}, false},
		{"key is not a prefix match", []string{"environment=prod"}, []string{"env"}, false},
		{"value containing =", []string{"q=a=b"}, []string{"q=a=b"}, true},
		{"all wanted must be present", []string{"env=prod", "team=db"}, []string{"env", "team=db"}, true},
		{"one wanted missing", []string{"env=prod"}, []string{"env", "team"}, false},
		{"no tags, one wanted", nil, []string{"env"}, false},
	}
	for _, c := range cases {
		if got := MatchTags(c.have, c.want); got != c.match {
			t.Errorf("%s: MatchTags(%q, %q) = %v, want %v", c.name, c.have, c.want, got, c.match)
		}
	}
}
