package api

import (
	"encoding/json"
	"slices"
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
	doc := openAPIDocument("test", false)
	served := map[string]bool{}
	for _, r := range engine.Routes() {
		if slices.Contains(uiRoutes, r.Path) { // the dashboard's page, no part of the API
			continue
		}
		served[r.Method+" "+openAPIPath(r.Path)] = true
	}
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
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	props := schemas["Spec"].(map[string]any)["properties"].(map[string]any)
	for _, field := range []string{"vm_identifier", "provider", "export_method", "export_path", "options", "hyper2kvm_integration"} {
		if _, ok := props[field]; !ok {
			t.Errorf("/jobs/submit schema lacks %s", field)
		}
	}
}

// The lists are objects ({"schedules":[…]}), as the handlers write them, not bare arrays.
func TestOpenAPIListsAreObjects(t *testing.T) {
	t.Parallel()
	doc := openAPIDocument("test", false)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for path, field := range map[string]string{"/schedules": "schedules", "/backup-policies": "backup_policies", "/webhooks": "webhooks", "/audit": "entries", "/jobs": "jobs"} {
		get := doc["paths"].(map[string]any)[path].(map[string]any)["get"].(map[string]any)
		schema := get["responses"].(map[string]any)["200"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
		ref, _ := schema["$ref"].(string)
		named, _ := schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
		if named["type"] != "object" || named["properties"].(map[string]any)[field] == nil {
			t.Errorf("GET %s is described as %v (%v), want an object with %q", path, schema, named, field)
		}
	}
}

// Security is declared only when the daemon requires it: with auth off a client generated from
// the description must not insist on a token; with auth on /health stays public.
func TestOpenAPISecurityFollowsAuth(t *testing.T) {
	t.Parallel()
	health := func(doc map[string]any) map[string]any {
		return doc["paths"].(map[string]any)["/health"].(map[string]any)["get"].(map[string]any)
	}
	off := openAPIDocument("test", false)
	if _, declared := off["security"]; declared {
		t.Errorf("auth off, yet security is declared: %v", off["security"])
	}
	on := openAPIDocument("test", true)
	if sec, _ := on["security"].([]any); len(sec) != 1 {
		t.Errorf("auth on, security = %v", on["security"])
	}
	if sec, ok := health(on)["security"].([]any); !ok || len(sec) != 0 {
		t.Errorf("/health must stay public with auth on: %v", health(on)["security"])
	}
}
