package provider

import "testing"

func TestClosestName(t *testing.T) {
	candidates := []string{"region", "regions", "bucket", "workers"}
	tests := []struct {
		name, want string
	}{
		{"regoin", "region"},
		{"regions", "regions"},
		{"buckt", "bucket"},
		{"workerz", "workers"},
		{"endpoint", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := ClosestName(tt.name, candidates); got != tt.want {
			t.Errorf("ClosestName(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := ClosestName("ab", []string{"ba", "ab2"}); got != "ab2" {
		t.Errorf("the nearest of two wins: got %q", got)
	}
	if got := ClosestName("x", []string{"b", "a"}); got != "a" {
		t.Errorf("a tie goes to the first alphabetically: got %q", got)
	}
}
