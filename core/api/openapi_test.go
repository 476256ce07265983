package api

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/auth"
	"github.com/hypersdk/hypersdk/core/config"
)

// The OpenAPI description lists exactly the routes Gin serves: none undocumented, none
// documented but missing.
func TestOpenAPIMatchesTheRoutes(t *testing.T) {
	t.Parallel()
	engine := New(Deps{Log: hclog.NewNullLogger(), Auth: auth.New(config.Auth{}), MaxBodyBytes: 1 << 20})
	served := map[string]bool{}
	for _, r := range engine.Routes() {
		served[r.Method+" "+openAPIPath(r.Path)] = true
	}
	doc := openAPIDocument("test")
	documented := map[string]bool{}
	for path, item := range doc["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	var missing, extra []string
	for r := range served {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for r := range documented {
		if !served[r] {
			extra = append(extra, r)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("undocumented routes %v; documented but not served %v", missing, extra)
	}
	if _, err := json.Marshal(doc); err != nil {
		t.Fatalf("description is not JSON: %v", err)
	}
	submit := doc["paths"].(map[string]any)["/jobs/submit"].(map[string]any)["post"].(map[string]any)
	props := submit["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)["properties"].(map[string]any)
	for _, field := range []string{"vm_identifier", "provider", "export_method", "export_path", "options", "hyper2kvm_integration"} {
		if _, ok := props[field]; !ok {
			t.Errorf("/jobs/submit schema lacks %s", field)
		}
	}
}
