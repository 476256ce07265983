package provider

import "strings"

// MatchTags reports whether a VM carrying the tags have matches every tag in want. A wanted
// tag "key" matches a VM tag "key" or "key=<anything>"; a wanted "key=value" matches only that
// exact tag. Cloud labels (key and value) and vSphere tags (a bare name) meet in this one form:
// a provider flattens its platform's tags to "key" or "key=value" and calls MatchTags.
func MatchTags(have, want []string) bool {
	for _, w := range want {
		if !hasTag(have, w) {
			return false
		}
	}
	return true
}

func hasTag(have []string, want string) bool {
	exact := strings.Contains(want, "=")
	for _, h := range have {
		if h == want {
			return true
		}
		if !exact {
			if key, _, ok := strings.Cut(h, "="); ok && key == want {
				return true
			}
		}
	}
	return false
}
