package api

import (
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hypersdk/hypersdk/core/audit"
	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/scheduler"
	"github.com/hypersdk/hypersdk/core/webhooks"
)

// routeDoc documents one route; schemas are derived from the Go types the handlers use, so the
// description cannot drift from the code. A test checks the list against the routes Gin serves.
type routeDoc struct {
	Method, Path, Tag, Summary string
	Query                      []string
	Request, Response          any
	Status                     int
}

var routeDocs = []routeDoc{
	{"GET", "/health", "daemon", "Health check", nil, nil, HealthResponse{}, 200},
	{"GET", "/capabilities", "daemon", "Providers and their state, export methods, host tools", nil, nil, CapabilitiesResponse{}, 200},
	{"GET", "/metrics", "daemon", "Prometheus metrics (text exposition format)", nil, nil, nil, 200},
	{"GET", "/openapi.json", "daemon", "This description", nil, nil, nil, 200},
	{"GET", "/audit", "security", "Audit log of mutating requests, newest first (admin)", []string{"limit", "offset"}, nil, []audit.Entry{}, 200},
	{"POST", "/vms/list", "vms", "List VMs from a provider", nil, ListVMsRequest{}, ListVMsResponse{}, 200},
	{"GET", "/vms/info", "vms", "One VM's hardware picture", []string{"identifier", "provider"}, nil, VMInfoResponse{}, 200},
	{"POST", "/jobs/submit", "jobs", "Submit an export job (or a JSON array of them)", nil, jobs.Spec{}, SubmitResponse{}, 202},
	{"GET", "/jobs/query", "jobs", "A job's status, stage, attempts, failures and result", []string{"job_id"}, nil, JobView{}, 200},
	{"GET", "/jobs", "jobs", "Jobs, newest first", []string{"status", "limit", "offset"}, nil, JobList{}, 200},
	{"GET", "/jobs/progress/:id", "jobs", "Live progress (.percentage)", nil, nil, ProgressResponse{}, 200},
	{"GET", "/jobs/eta/:id", "jobs", "Estimated completion", nil, nil, ETAResponse{}, 200},
	{"GET", "/jobs/logs/:id", "jobs", "The job's log (text; ?format=json; ?follow=1 streams)", []string{"format", "follow"}, nil, nil, 200},
	{"POST", "/jobs/cancel/:id", "jobs", "Cancel a job", nil, nil, JobView{}, 200},
	{"GET", "/websocket", "events", "WebSocket stream of events (?job_id= filters)", []string{"job_id", "access_token"}, nil, nil, 101},
	{"POST", "/webhooks/configure", "events", "Register a webhook", nil, WebhookRequest{}, WebhookCreated{}, 201},
	{"GET", "/webhooks", "events", "Registered webhooks, admin only (secrets redacted)", nil, nil, []webhooks.Hook{}, 200},
	{"DELETE", "/webhooks/:id", "events", "Remove a webhook added through the API", nil, nil, nil, 204},
	{"POST", "/convert", "kvm", "Convert an export to qcow2/raw (a job)", nil, ConvertRequest{}, SubmitResponse{}, 202},
	{"POST", "/import-to-kvm", "kvm", "Define a VM in libvirt around a converted disk", nil, jobs.ImportDiskRequest{}, jobs.Imported{}, 201},
	{"GET", "/parse-vmdk", "kvm", "Parse VMDK metadata", []string{"path"}, nil, ParseVMDKResponse{}, 200},
	{"POST", "/schedules/create", "schedules", "Create a cron schedule", nil, ScheduleRequest{}, scheduler.Schedule{}, 201},
	{"GET", "/schedules", "schedules", "Schedules", nil, nil, []scheduler.Schedule{}, 200},
	{"GET", "/schedules/:id", "schedules", "One schedule", nil, nil, scheduler.Schedule{}, 200},
	{"PUT", "/schedules/:id", "schedules", "Replace a schedule", nil, ScheduleRequest{}, scheduler.Schedule{}, 200},
	{"DELETE", "/schedules/:id", "schedules", "Delete a schedule", nil, nil, nil, 204},
	{"POST", "/schedules/:id/pause", "schedules", "Pause a schedule", nil, nil, scheduler.Schedule{}, 200},
	{"POST", "/schedules/:id/resume", "schedules", "Resume a schedule", nil, nil, scheduler.Schedule{}, 200},
	{"POST", "/schedules/:id/run", "schedules", "Run a schedule now", nil, nil, SubmitResponse{}, 202},
	{"POST", "/backup-policies/create", "schedules", "Create a backup policy", nil, PolicyRequest{}, scheduler.Policy{}, 201},
	{"GET", "/backup-policies", "schedules", "Backup policies", nil, nil, []scheduler.Policy{}, 200},
	{"GET", "/backup-policies/:id", "schedules", "One backup policy", nil, nil, scheduler.Policy{}, 200},
	{"DELETE", "/backup-policies/:id", "schedules", "Delete a backup policy", nil, nil, nil, 204},
	{"POST", "/backup-policies/:id/run", "schedules", "Run a policy now", nil, nil, nil, 202},
}

var ginParam = regexp.MustCompile(`:([A-Za-z_]+)`)

func openAPIPath(p string) string { return ginParam.ReplaceAllString(p, "{$1}") }

// openAPIDocument builds the OpenAPI 3 description.
func openAPIDocument(version string) map[string]any {
	paths := map[string]any{}
	errSchema := schemaOf(reflect.TypeOf(ErrorBody{}))
	for _, r := range routeDocs {
		op := map[string]any{"summary": r.Summary, "tags": []string{r.Tag}}
		var params []any
		for _, m := range ginParam.FindAllStringSubmatch(r.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range r.Query {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if r.Request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(r.Request))}}}
		}
		ok := map[string]any{"description": http.StatusText(r.Status)}
		if r.Response != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(r.Response))}}
		}
		op["responses"] = map[string]any{
			strconv.Itoa(r.Status): ok,
			"default":              map[string]any{"description": "Error", "content": map[string]any{"application/json": map[string]any{"schema": errSchema}}},
		}
		path := openAPIPath(r.Path)
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		item[strings.ToLower(r.Method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "hypervisord API", "version": version},
		"paths":   paths,
		"components": map[string]any{"securitySchemes": map[string]any{
			"bearer": map[string]any{"type": "http", "scheme": "bearer"}}},
		"security": []any{map[string]any{"bearer": []any{}}},
	}
}

var timeType = reflect.TypeOf(time.Time{})

// schemaOf derives a JSON schema from a Go type as encoding/json would encode it.
func schemaOf(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "format": "byte"}
		}
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case reflect.Struct:
		props := map[string]any{}
		addFields(t, props)
		return map[string]any{"type": "object", "properties": props}
	}
	return map[string]any{}
}

func addFields(t reflect.Type, props map[string]any) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				addFields(ft, props)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		props[name] = schemaOf(f.Type)
	}
}

func (h *handlers) openAPI(c *gin.Context) { c.JSON(http.StatusOK, openAPIDocument(h.Version)) }
