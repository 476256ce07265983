package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// jsonNames lists the JSON names of a struct's fields, embedded structs flattened.
func jsonNames(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if f.Anonymous && name == "" {
			for n := range jsonNames(f.Type) {
				out[n] = true
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = true
	}
	return out
}

// The API shows every field of a job except its resume token and the steps' bookkeeping, which stays in the store (a
// resumed export needs it) but may carry provider session state; and the result's VM has the
// snake_case names of /vms/info, not provider.VM's Go names.
func TestJobViewShowsTheJobButNotItsResumeToken(t *testing.T) {
	t.Parallel()
	// Besides the token, the steps' own bookkeeping stays private: what the provider reported
	// before verification, what verification found (result.artifacts shows it), and the
	// output folder a conversion claimed (result.converted shows what it holds).
	private := map[string]bool{"resume_token": true, "exported": true, "verified": true, "claimed_output": true}
	shown := jsonNames(reflect.TypeOf(JobView{}))
	for name := range jsonNames(reflect.TypeOf(jobs.Job{})) {
		if private[name] == shown[name] {
			t.Errorf("job field %q: shown %v, want %v", name, shown[name], !private[name])
		}
	}

	now := time.Now().UTC()
	j := jobs.Job{ID: "job-1", Status: jobs.StatusCompleted, Kind: jobs.KindExport, CreatedAt: now, FinishedAt: &now,
		ResumeToken: []byte(`{"lease":"https://vc.example/nfc/secret-lease-ticket"}`),
		Progress:    jobs.Progress{Percentage: 100},
		Holds: []jobs.Hold{{Hold: provider.Hold{Kind: provider.HoldGrant, ID: "grant-1", Data: []byte(`{"sas":"secret-sas-url"}`)},
			Provider: "azure", State: jobs.HoldHeld, RecordedAt: now}},
		Result: &jobs.Result{OVA: "/exports/vm.ova", VM: provider.VM{ID: "vm-42", Name: "web", CPUs: 2, MemoryMB: 4096,
			PowerState: provider.PowerOn, Disks: []provider.Disk{{Key: "2000", CapacityBytes: 1 << 30}}}},
	}
	raw, err := json.Marshal(view(j))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "resume_token") || strings.Contains(string(raw), "secret-lease-ticket") {
		t.Errorf("the resume token reached the API: %s", raw)
	}
	if strings.Contains(string(raw), "secret-sas-url") || !strings.Contains(string(raw), `"id":"grant-1"`) {
		t.Errorf("holds = %s; want each shown without its provider data", raw)
	}
	var got struct {
		Percentage float64 `json:"percentage"`
		Result     struct {
			OVA string         `json:"ova"`
			VM  map[string]any `json:"vm"`
		} `json:"result"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	infoShape, _ := json.Marshal(vmJSON(j.Result.VM))
	var want map[string]any
	json.Unmarshal(infoShape, &want)
	if !reflect.DeepEqual(got.Result.VM, want) || got.Result.VM["id"] != "vm-42" || got.Result.OVA != "/exports/vm.ova" || got.Percentage != 100 {
		t.Errorf("result = %s, vm want %s (the /vms/info shape)", raw, infoShape)
	}
}
