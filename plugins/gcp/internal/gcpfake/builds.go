package gcpfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Build statuses by the numbers the API uses when asked for "$alt=json;enum-encoding=int", as
// the Go REST client does.
var buildStatusNumbers = map[string]int{"STATUS_UNKNOWN": 0, "PENDING": 10, "QUEUED": 1, "WORKING": 2, "SUCCESS": 3,
	"FAILURE": 4, "INTERNAL_ERROR": 5, "TIMEOUT": 6, "CANCELLED": 7, "EXPIRED": 9}

type build struct {
	id, status, detail string
	args, tags         []string
	image              string
	logsBucket         string
	polls              int
	created            time.Time
	// Logs are the lines the builder printed.
	logs []string
}

func (b *build) running() bool {
	return b.status == "QUEUED" || b.status == "WORKING" || b.status == "PENDING"
}

func (b *build) hasTag(tag string) bool { return slices.Contains(b.tags, tag) }

func (b *build) arg(name string) (string, bool) {
	for _, a := range b.args {
		if v, ok := strings.CutPrefix(a, "-"+name+"="); ok {
			return v, true
		}
		if a == "-"+name {
			return "", true
		}
	}
	return "", false
}

func (c *Cloud) buildJSON(b *build, r *http.Request) map[string]any {
	var status any = b.status
	if strings.Contains(r.URL.Query().Get("$alt"), "enum-encoding=int") {
		status = buildStatusNumbers[b.status]
	}
	m := map[string]any{"id": b.id, "projectId": c.Project, "status": status, "tags": b.tags, "logsBucket": b.logsBucket,
		"createTime": b.created.Format(time.RFC3339Nano), "steps": []any{map[string]any{"name": "gce_vm_image_export", "args": b.args}}}
	if b.detail != "" {
		m["statusDetail"] = b.detail
	}
	if b.status == "FAILURE" {
		ft := any("USER_BUILD_STEP")
		if status != b.status {
			ft = 6 // FailureInfo.FailureType USER_BUILD_STEP
		}
		m["failureInfo"] = map[string]any{"type": ft, "detail": b.detail}
	}
	return m
}

func (c *Cloud) serveBuilds(w http.ResponseWriter, r *http.Request, rest string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case rest == "" && r.Method == http.MethodPost:
		c.createBuild(w, r)
	case rest == "" && r.Method == http.MethodGet:
		// The one filter the provider sends: tags="<tag>".
		tag := strings.Trim(strings.TrimPrefix(r.URL.Query().Get("filter"), "tags="), `"`)
		var out []any
		for _, id := range sortedKeys(c.builds) {
			if b := c.builds[id]; tag == "" || b.hasTag(tag) {
				out = append(out, c.buildJSON(b, r))
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"builds": out})
	case strings.HasSuffix(rest, ":cancel") && r.Method == http.MethodPost:
		b := c.builds[strings.TrimSuffix(strings.TrimPrefix(rest, "/"), ":cancel")]
		if b == nil {
			apiErr(w, http.StatusNotFound, "NOT_FOUND", "build not found")
			return
		}
		if b.running() {
			b.status, b.detail = "CANCELLED", "Build was cancelled"
		}
		writeJSON(w, http.StatusOK, c.buildJSON(b, r))
	case strings.HasPrefix(rest, "/") && r.Method == http.MethodGet:
		b := c.builds[strings.TrimPrefix(rest, "/")]
		if b == nil {
			apiErr(w, http.StatusNotFound, "NOT_FOUND", "build not found")
			return
		}
		c.advance(b)
		writeJSON(w, http.StatusOK, c.buildJSON(b, r))
	default:
		apiErr(w, http.StatusNotFound, "NOT_FOUND", "no such method "+r.Method+" "+r.URL.Path)
	}
}

func (c *Cloud) createBuild(w http.ResponseWriter, r *http.Request) {
	if c.DenyBuild {
		apiErr(w, http.StatusForbidden, "PERMISSION_DENIED", "The caller does not have permission")
		return
	}
	var body struct {
		Steps []struct {
			Name string   `json:"name"`
			Args []string `json:"args"`
		} `json:"steps"`
		Tags       []string `json:"tags"`
		LogsBucket string   `json:"logsBucket"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Steps) != 1 {
		apiErr(w, http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf("invalid build: %v", err))
		return
	}
	c.seq++
	b := &build{id: fmt.Sprintf("b%04d-5e1f-4c3a-9d2e-000000000000", c.seq), status: "QUEUED", args: body.Steps[0].Args, tags: body.Tags,
		logsBucket: body.LogsBucket, created: time.Now().UTC()}
	c.builds[b.id] = b
	writeJSON(w, http.StatusOK, map[string]any{
		"name": "operations/build/" + c.Project + "/" + base64.RawURLEncoding.EncodeToString([]byte(b.id)),
		"metadata": map[string]any{"@type": "type.googleapis.com/google.devtools.cloudbuild.v1.BuildOperationMetadata",
			"build": c.buildJSON(b, r)},
	})
}

// advance moves a build on by one poll: QUEUED, WORKING, then its end.
func (c *Cloud) advance(b *build) {
	if !b.running() {
		return
	}
	b.polls++
	if b.polls < c.BuildPolls {
		b.status = "WORKING"
		return
	}
	b.logs = append(b.logs, "[image-export]: Validating workflow", "[image-export]: Starting workflow")
	switch c.BuildOutcome {
	case "FAILURE":
		b.logs = append(b.logs, "[image-export.export-disk]: StatusMatch found: \"ExportFailed: Failed to export disk\"",
			"[image-export] step \"export-disk\" run error: googleapi: Error 403: Required 'compute.disks.create' permission for 'projects/"+c.Project+"/zones/us-central1-a/disks/disk-image-export-ext'")
		b.status, b.detail = "FAILURE", "Build step failure: build step 0 \"gce_vm_image_export\" failed: step exited with non-zero status: 1"
	case "TIMEOUT":
		b.logs = append(b.logs, "[image-export.export-disk]: Exporting disk…", "ERROR: context deadline exceeded: workflow timed out")
		b.status, b.detail = "TIMEOUT", "Build timeout"
	default:
		if err := c.runBuilder(b); err != nil {
			b.logs = append(b.logs, "[image-export] error: "+err.Error())
			b.status, b.detail = "FAILURE", "Build step failure: "+err.Error()
		} else {
			b.logs = append(b.logs, "[image-export]: Workflow Finished")
			b.status = "SUCCESS"
		}
	}
	c.writeLog(b)
}
