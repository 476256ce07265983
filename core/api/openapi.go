package api

import (
	"encoding"
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/scheduler"
)

// routeDoc documents one route; schemas are derived from the Go types the handlers use, so the
// description cannot drift from the code. A test checks the list against the routes Gin serves,
// and the end-to-end tests validate every answer of the real daemon against the result.
type routeDoc struct {
	Method, Path, Tag, Summary string
	Query                      []string
	Request                    any
	// Response is the body of a success: nil (none), a Go value whose type encoding/json
	// writes (application/json), oneOf{…} when the body is one of several, or media{…}.
	Response any
	Status   int
}

// oneOf documents a JSON body that is one of the given types.
type oneOf []any

// media documents a body whose content type depends on the request: content type → a Go
// value (as Response) or plainText.
type media map[string]any

// plainText documents a text body.
type plainText struct{}

// optional documents a request body that may be left out.
type optional struct{ body any }

var routeDocs = []routeDoc{
	{"GET", "/health", "daemon", "Health check", nil, nil, HealthResponse{}, 200},
	{"GET", "/capabilities", "daemon", "Providers and their state, export methods, host tools", nil, nil, CapabilitiesResponse{}, 200},
	{"GET", "/cluster/nodes", "daemon", "This node's id and the cluster's live nodes with the jobs each runs (database.backend etcd; empty on a single daemon)", nil, nil, ClusterResponse{}, 200},
	{"GET", "/metrics", "daemon", "Prometheus metrics (text exposition format)", nil, nil, media{"text/plain": plainText{}}, 200},
	{"GET", "/openapi.json", "daemon", "This description", nil, nil, map[string]any{}, 200},
	{"GET", "/audit", "security", "Audit log of mutating requests, newest first (admin)", []string{"limit", "offset"}, nil, AuditList{}, 200},
	{"POST", "/vms/list", "vms", "List VMs from a provider (disks, nics and cdroms only when the provider lists them; /vms/info always has them)", nil, ListVMsRequest{}, ListVMsResponse{}, 200},
	{"GET", "/vms/info", "vms", "One VM's hardware picture", []string{"identifier", "provider"}, nil, VMInfoResponse{}, 200},
	{"POST", "/jobs/submit", "jobs", "Submit an export job (or a JSON array of them)", nil, oneOf{jobs.Spec{}, []jobs.Spec{}}, oneOf{SubmitResponse{}, BatchSubmitResponse{}}, 202},
	{"GET", "/jobs/query", "jobs", "A job's status, stage, attempts, failures and result", []string{"job_id"}, nil, JobView{}, 200},
	{"GET", "/jobs", "jobs", "Jobs, newest first; ?provider= keeps one provider instance's (read by scanning, so slower on a large store)", []string{"status", "provider", "limit", "offset"}, nil, JobList{}, 200},
	{"GET", "/jobs/summary", "jobs", "Jobs per status, current throughput, failures of the last day, unreleased holds", nil, nil, JobSummary{}, 200},
	{"POST", "/jobs/retry/:id", "jobs", "Submit a failed or cancelled job again, as a new job", nil, nil, SubmitResponse{}, 202},
	{"GET", "/auth/whoami", "security", "The caller's name and role, and the routes beyond a viewer's it may call", nil, nil, WhoAmI{}, 200},
	{"GET", "/jobs/progress/:id", "jobs", "Live progress (.percentage)", nil, nil, ProgressResponse{}, 200},
	{"GET", "/jobs/eta/:id", "jobs", "Estimated completion", nil, nil, ETAResponse{}, 200},
	{"GET", "/jobs/logs/:id", "jobs", "The job's log: text, or JSON with ?format=json; ?follow=1 streams text or JSON lines (application/x-ndjson) until the job ends",
		[]string{"format", "follow"}, nil, media{"text/plain": plainText{}, "application/json": JobLogLines{}, "application/x-ndjson": plainText{}}, 200},
	{"POST", "/jobs/cancel/:id", "jobs", "Cancel a job", nil, nil, JobView{}, 200},
	{"POST", "/jobs/prune", "jobs", "Delete ended jobs older than older_than (default database.job_retention), with their logs (admin)", nil, optional{PruneRequest{}}, PruneResponse{}, 200},
	{"GET", "/websocket", "events", "WebSocket stream of events (?job_id= filters)", []string{"job_id", "access_token"}, nil, nil, 101},
	{"POST", "/webhooks/configure", "events", "Register a webhook", nil, WebhookRequest{}, WebhookCreated{}, 201},
	{"GET", "/webhooks", "events", "Registered webhooks, admin only (secrets redacted)", nil, nil, WebhookList{}, 200},
	{"DELETE", "/webhooks/:id", "events", "Remove a webhook added through the API", nil, nil, nil, 204},
	{"POST", "/convert", "kvm", "Convert an export to qcow2/raw (a job)", nil, ConvertRequest{}, SubmitResponse{}, 202},
	{"POST", "/import-to-kvm", "kvm", "Define a VM in libvirt around a converted disk", nil, jobs.ImportDiskRequest{}, jobs.Imported{}, 201},
	{"GET", "/parse-vmdk", "kvm", "Parse VMDK metadata", []string{"path"}, nil, ParseVMDKResponse{}, 200},
	{"POST", "/schedules/create", "schedules", "Create a cron schedule", nil, ScheduleRequest{}, scheduler.Schedule{}, 201},
	{"GET", "/schedules", "schedules", "Schedules", nil, nil, ScheduleList{}, 200},
	{"GET", "/schedules/:id", "schedules", "One schedule", nil, nil, scheduler.Schedule{}, 200},
	{"PUT", "/schedules/:id", "schedules", "Replace a schedule", nil, ScheduleRequest{}, scheduler.Schedule{}, 200},
	{"DELETE", "/schedules/:id", "schedules", "Delete a schedule", nil, nil, nil, 204},
	{"POST", "/schedules/:id/pause", "schedules", "Pause a schedule", nil, nil, scheduler.Schedule{}, 200},
	{"POST", "/schedules/:id/resume", "schedules", "Resume a schedule", nil, nil, scheduler.Schedule{}, 200},
	{"POST", "/schedules/:id/run", "schedules", "Run a schedule now", nil, nil, ScheduleRun{}, 202},
	{"POST", "/backup-policies/create", "schedules", "Create a backup policy", nil, PolicyRequest{}, scheduler.Policy{}, 201},
	{"GET", "/backup-policies", "schedules", "Backup policies", nil, nil, PolicyList{}, 200},
	{"GET", "/backup-policies/:id", "schedules", "One backup policy", nil, nil, scheduler.Policy{}, 200},
	{"DELETE", "/backup-policies/:id", "schedules", "Delete a backup policy", nil, nil, nil, 204},
	{"POST", "/backup-policies/:id/run", "schedules", "Run a policy now", nil, nil, PolicyRun{}, 202},
}

// publicRoutes answer without a token even when auth is enabled: the health check, and this
// description, which holds no data and is what a client is generated from before it has a token,
// and the dashboard's page and assets, which hold no data either.
var publicRoutes = map[string]bool{"GET /health": true, "GET /openapi.json": true, "GET " + uiRoutes[0]: true, "GET " + uiRoutes[1]: true}

var ginParam = regexp.MustCompile(`:([A-Za-z_]+)`)

func openAPIPath(p string) string { return ginParam.ReplaceAllString(p, "{$1}") }

// openAPIDocument builds the OpenAPI 3 description. It declares security only when auth is
// enabled: with auth off no request needs a token, and a client generated from a description
// that said otherwise would insist on one.
func openAPIDocument(version string, authEnabled bool) map[string]any {
	s := newSchemas()
	paths := map[string]any{}
	errSchema := s.of(reflect.TypeOf(ErrorBody{}))
	// answers first: a type that is also a request body then gets a second, "…Input"
	// component, since what a request may leave out differs from what an answer always has
	responses := make([]map[string]any, len(routeDocs))
	for i, r := range routeDocs {
		if r.Response != nil {
			responses[i] = s.content(r.Response)
		}
	}
	s.input = true
	for i, r := range routeDocs {
		op := map[string]any{"summary": r.Summary, "tags": []string{r.Tag}, "operationId": operationID(r.Method, r.Path)}
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
		if o, ok := r.Request.(optional); ok {
			op["requestBody"] = map[string]any{"required": false, "content": s.content(o.body)}
		} else if r.Request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": s.content(r.Request)}
		}
		ok := map[string]any{"description": http.StatusText(r.Status)}
		if responses[i] != nil {
			ok["content"] = responses[i]
		}
		op["responses"] = map[string]any{
			strconv.Itoa(r.Status): ok,
			"default":              map[string]any{"description": "Error", "content": map[string]any{"application/json": map[string]any{"schema": errSchema}}},
		}
		switch {
		case !authEnabled:
		case publicRoutes[r.Method+" "+r.Path]:
			op["security"] = []any{}
		case r.Path == "/websocket":
			op["security"] = []any{map[string]any{"bearer": []any{}}, map[string]any{"access_token": []any{}}}
		}
		path := openAPIPath(r.Path)
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		item[strings.ToLower(r.Method)] = op
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "hypervisord API", "version": version,
			"description": "Every error is {\"error\":{\"code\",\"message\",\"field\",\"request_id\"}}. " +
				"Bearer tokens are required when the daemon runs with auth.enabled (then this description lists them)."},
		"paths": paths,
		"components": map[string]any{
			"schemas": s.defs,
			"securitySchemes": map[string]any{
				"bearer":       map[string]any{"type": "http", "scheme": "bearer"},
				"access_token": map[string]any{"type": "apiKey", "in": "query", "name": "access_token", "description": "the WebSocket's token, since browsers cannot set headers on it"},
			}},
	}
	if authEnabled {
		doc["security"] = []any{map[string]any{"bearer": []any{}}}
	}
	return doc
}

// operationID names an operation for generated clients: "GET /jobs/progress/:id" → "getJobsProgressId".
func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	upper := true
	for _, r := range path {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			upper = true
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
			upper = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// schemas derives JSON schemas from Go types as encoding/json writes them. Named structs become
// components (referenced by $ref), so a generated client has one type per Go type. In input
// mode (request bodies) no field is required: the handlers decide what a request must have and
// answer 400 naming the field.
type schemas struct {
	input bool
	defs  map[string]any
	names map[typeMode]string
	taken map[string]typeMode
}

type typeMode struct {
	t     reflect.Type
	input bool
}

func newSchemas() *schemas {
	return &schemas{defs: map[string]any{}, names: map[typeMode]string{}, taken: map[string]typeMode{}}
}

func (s *schemas) content(v any) map[string]any {
	switch v := v.(type) {
	case media:
		out := map[string]any{}
		for ct, body := range v {
			if _, text := body.(plainText); text {
				out[ct] = map[string]any{"schema": map[string]any{"type": "string"}}
				continue
			}
			out[ct] = map[string]any{"schema": s.body(body)}
		}
		return out
	}
	return map[string]any{"application/json": map[string]any{"schema": s.body(v)}}
}

func (s *schemas) body(v any) map[string]any {
	if alts, ok := v.(oneOf); ok {
		var list []any
		for _, a := range alts {
			list = append(list, s.of(reflect.TypeOf(a)))
		}
		return map[string]any{"oneOf": list}
	}
	return s.of(reflect.TypeOf(v))
}

var (
	timeType          = reflect.TypeOf(time.Time{})
	jsonMarshalerType = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
	textMarshalerType = reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()
)

// of is the schema of a value of type t.
func (s *schemas) of(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Implements(jsonMarshalerType) || reflect.PointerTo(t).Implements(jsonMarshalerType):
		return map[string]any{} // writes itself: any JSON
	case t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType):
		return map[string]any{"type": "string"}
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
		return map[string]any{"type": "array", "items": s.of(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": s.of(t.Elem())}
	case reflect.Struct:
		if t.Name() == "" {
			return s.structSchema(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + s.name(t)}
	}
	return map[string]any{} // interfaces: any JSON
}

// name registers a named struct as a component, once per mode; two types of one name in
// different packages are told apart by their package name, and the input form of a type that
// answers also use is "…Input".
func (s *schemas) name(t reflect.Type) string {
	key := typeMode{t, s.input}
	if n, ok := s.names[key]; ok {
		return n
	}
	n := t.Name()
	if other, clash := s.taken[n]; clash && other.t != t {
		pkg := t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:]
		n = strings.ToUpper(pkg[:1]) + pkg[1:] + n
	}
	if _, answered := s.names[typeMode{t, false}]; s.input && answered {
		n += "Input"
	}
	s.names[key], s.taken[n] = n, key
	s.defs[n] = map[string]any{} // placeholder, so a type that contains itself terminates
	s.defs[n] = s.structSchema(t)
	return n
}

// jsonField is one member of a struct's JSON object.
type jsonField struct {
	name      string
	typ       reflect.Type
	omitempty bool
	optional  bool // reached through an embedded pointer, which may be nil
}

// structSchema lists the fields encoding/json writes: embedded structs are flattened, a
// shallower field hides a deeper one of the same name. A field without omitempty is always
// written, so it is required; a nil pointer, slice or map is written as null. Nothing else is
// written, so no other property is allowed: a field the code adds without the description
// knowing fails the end-to-end tests.
func (s *schemas) structSchema(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	for _, f := range jsonFields(t) {
		schema := s.of(f.typ)
		if !f.omitempty {
			switch f.typ.Kind() {
			case reflect.Pointer, reflect.Slice, reflect.Map:
				schema = nullable(schema)
			}
			if !f.optional && !s.input {
				required = append(required, f.name)
			}
		}
		props[f.name] = schema
	}
	out := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if required != nil {
		out["required"] = required
	}
	return out
}

func nullable(schema map[string]any) map[string]any {
	if _, ref := schema["$ref"]; ref {
		return map[string]any{"allOf": []any{schema}, "nullable": true}
	}
	if len(schema) == 0 {
		return schema // any JSON already includes null
	}
	out := map[string]any{"nullable": true}
	for k, v := range schema {
		out[k] = v
	}
	return out
}

// jsonFields walks t as encoding/json does, breadth first, so that the shallowest field of each
// name is the one kept.
func jsonFields(t reflect.Type) []jsonField {
	type level struct {
		t        reflect.Type
		optional bool
	}
	seen := map[string]bool{}
	var out []jsonField
	current := []level{{t, false}}
	for len(current) > 0 {
		var next []level
		found := map[string]bool{}
		for _, l := range current {
			for i := 0; i < l.t.NumField(); i++ {
				f := l.t.Field(i)
				tag := f.Tag.Get("json")
				name, opts, _ := strings.Cut(tag, ",")
				if name == "-" && opts == "" {
					continue
				}
				ft := f.Type
				if f.Anonymous && name == "" {
					ptr := ft.Kind() == reflect.Pointer
					if ptr {
						ft = ft.Elem()
					}
					if ft.Kind() == reflect.Struct {
						next = append(next, level{ft, l.optional || ptr})
						continue
					}
				}
				if !f.IsExported() {
					continue
				}
				if name == "" {
					name = f.Name
				}
				if seen[name] || found[name] {
					continue
				}
				found[name] = true
				out = append(out, jsonField{name: name, typ: f.Type, omitempty: strings.Contains(","+opts+",", ",omitempty,"), optional: l.optional})
			}
		}
		for n := range found {
			seen[n] = true
		}
		current = next
	}
	return out
}

func (h *handlers) openAPI(c *gin.Context) {
	c.JSON(http.StatusOK, openAPIDocument(h.Version, h.Auth != nil && h.Auth.Enabled))
}
