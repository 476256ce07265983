package gcpfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

const apiBase = "https://www.googleapis.com/compute/v1/projects/"

// operation is a zonal or global Compute Engine operation: RUNNING for OpPolls polls, then
// DONE, with the error it was made with.
type operation struct {
	name, zone, kind, target string
	polls                    int
	errCode, errMsg          string
	httpCode                 int
}

func (c *Cloud) newOp(zone, kind, target string) *operation {
	c.seq++
	op := &operation{name: fmt.Sprintf("operation-%d-%s", c.seq, kind), zone: zone, kind: kind, target: target}
	c.ops[op.name] = op
	return op
}

func (c *Cloud) opJSON(op *operation) map[string]any {
	status, progress := "RUNNING", 0
	if op.polls >= c.OpPolls {
		status, progress = "DONE", 100
	} else if c.OpPolls > 0 {
		progress = 100 * op.polls / (c.OpPolls + 1)
	}
	m := map[string]any{"kind": "compute#operation", "id": strconv.Itoa(len(op.name) * 7919), "name": op.name, "operationType": op.kind,
		"targetLink": op.target, "status": status, "progress": progress, "selfLink": apiBase + c.Project + "/global/operations/" + op.name}
	if op.zone != "" {
		m["zone"] = apiBase + c.Project + "/zones/" + op.zone
		m["selfLink"] = apiBase + c.Project + "/zones/" + op.zone + "/operations/" + op.name
	}
	if status == "DONE" && op.errCode != "" {
		m["error"] = map[string]any{"errors": []map[string]any{{"code": op.errCode, "message": op.errMsg}}}
		m["httpErrorStatusCode"] = op.httpCode
		m["httpErrorMessage"] = http.StatusText(op.httpCode)
	}
	return m
}

func (c *Cloud) serveCompute(w http.ResponseWriter, r *http.Request, p []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	notFound := func(what string) {
		apiErr(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("The resource 'projects/%s/%s' was not found", c.Project, what))
	}
	switch {
	case len(p) == 2 && p[0] == "aggregated" && p[1] == "instances" && r.Method == http.MethodGet:
		c.aggregatedInstances(w, r)
	case len(p) == 4 && p[0] == "zones" && p[2] == "instances" && r.Method == http.MethodGet:
		inst := c.instances[p[1]+"/"+p[3]]
		if inst == nil {
			notFound(strings.Join(p, "/"))
			return
		}
		writeJSON(w, http.StatusOK, c.instanceJSON(inst))
	case len(p) == 5 && p[0] == "zones" && p[2] == "instances" && r.Method == http.MethodPost && (p[4] == "stop" || p[4] == "start"):
		inst := c.instances[p[1]+"/"+p[3]]
		if inst == nil {
			notFound(strings.Join(p[:4], "/"))
			return
		}
		inst.Status = map[string]string{"stop": "TERMINATED", "start": "RUNNING"}[p[4]]
		writeJSON(w, http.StatusOK, c.opJSON(c.newOp(p[1], p[4], apiBase+c.Project+"/"+strings.Join(p[:4], "/"))))
	case len(p) == 4 && p[0] == "zones" && p[2] == "machineTypes" && r.Method == http.MethodGet:
		shape, ok := machineShapes[p[3]]
		if !ok {
			notFound(strings.Join(p, "/"))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"kind": "compute#machineType", "name": p[3], "zone": p[1], "guestCpus": shape[0], "memoryMb": shape[1]})
	case len(p) == 5 && p[0] == "zones" && p[2] == "disks" && p[4] == "createSnapshot" && r.Method == http.MethodPost:
		c.createSnapshot(w, r, p[1], p[3])
	case len(p) >= 4 && p[0] == "zones" && p[2] == "operations":
		c.getOp(w, p[3])
	case len(p) >= 3 && p[0] == "global" && p[1] == "operations":
		c.getOp(w, p[2])
	case len(p) == 3 && p[0] == "global" && (p[1] == "snapshots" || p[1] == "images"):
		c.globalResource(w, r, p[1], p[2])
	case len(p) == 2 && p[0] == "global" && p[1] == "images" && r.Method == http.MethodPost:
		c.insertImage(w, r)
	default:
		apiErr(w, http.StatusNotFound, "NOT_FOUND", "no such method "+r.Method+" "+r.URL.Path)
	}
}

// machineShapes are the machine types served: vCPUs and MB.
var machineShapes = map[string][2]int{"e2-small": {2, 2048}, "n2-standard-4": {4, 16384}, "n2-highmem-8": {8, 65536}}

// aggregatedInstances pages through the instances by maxResults and pageToken, grouped by
// zone as instances.aggregatedList does.
func (c *Cloud) aggregatedInstances(w http.ResponseWriter, r *http.Request) {
	keys := sortedKeys(c.instances)
	start, _ := strconv.Atoi(r.URL.Query().Get("pageToken"))
	size, err := strconv.Atoi(r.URL.Query().Get("maxResults"))
	if err != nil || size <= 0 || size > 500 {
		size = 500
	}
	if c.PageSize > 0 {
		size = min(size, c.PageSize)
	}
	end := min(start+size, len(keys))
	items := map[string]any{}
	for _, k := range keys[min(start, len(keys)):end] {
		inst := c.instances[k]
		scope := "zones/" + inst.Zone
		list, _ := items[scope].(map[string]any)
		if list == nil {
			list = map[string]any{"instances": []any{}}
			items[scope] = list
		}
		list["instances"] = append(list["instances"].([]any), c.instanceJSON(inst))
	}
	// A zone without instances answers with a warning, as the API does.
	items["zones/asia-east1-a"] = map[string]any{"warning": map[string]any{"code": "NO_RESULTS_ON_PAGE", "message": "There are no results for scope 'zones/asia-east1-a' on this page."}}
	resp := map[string]any{"kind": "compute#instanceAggregatedList", "id": "projects/" + c.Project + "/aggregated/instances", "items": items}
	if end < len(keys) {
		resp["nextPageToken"] = strconv.Itoa(end)
	}
	writeJSON(w, http.StatusOK, resp)
}

func (c *Cloud) instanceJSON(inst *Instance) map[string]any {
	zoneURL := apiBase + c.Project + "/zones/" + inst.Zone
	var disks []any
	for i, d := range inst.Disks {
		dj := map[string]any{"kind": "compute#attachedDisk", "type": "PERSISTENT", "mode": "READ_WRITE", "source": zoneURL + "/disks/" + d.Name,
			"deviceName": d.Name, "index": i, "boot": d.Boot, "autoDelete": d.Boot, "interface": "SCSI", "diskSizeGb": strconv.FormatInt(d.SizeGB, 10)}
		if d.Boot {
			dj["licenses"] = []string{"https://www.googleapis.com/compute/v1/projects/debian-cloud/global/licenses/debian-12-bookworm"}
			dj["guestOsFeatures"] = []map[string]string{{"type": "UEFI_COMPATIBLE"}, {"type": "VIRTIO_SCSI_MULTIQUEUE"}}
		}
		disks = append(disks, dj)
	}
	// A local SSD: no image can be made of it, so it is never exported.
	disks = append(disks, map[string]any{"kind": "compute#attachedDisk", "type": "SCRATCH", "mode": "READ_WRITE", "deviceName": "local-ssd-0",
		"index": len(inst.Disks), "interface": "NVME", "diskSizeGb": "375"})
	return map[string]any{
		"kind": "compute#instance", "id": strconv.Itoa(len(inst.Name) * 104729), "name": inst.Name, "zone": zoneURL, "status": inst.Status,
		"machineType": zoneURL + "/machineTypes/" + inst.MachineType, "labels": inst.Labels, "disks": disks,
		"networkInterfaces": []any{map[string]any{"name": "nic0", "network": apiBase + c.Project + "/global/networks/default",
			"subnetwork": apiBase + c.Project + "/regions/" + inst.Zone[:strings.LastIndexByte(inst.Zone, '-')] + "/subnetworks/default",
			"networkIP":  "10.128.0.2", "nicType": "GVNIC"}},
		"shieldedInstanceConfig": map[string]any{"enableSecureBoot": inst.SecureBoot, "enableVtpm": true, "enableIntegrityMonitoring": true},
		"selfLink":               zoneURL + "/instances/" + inst.Name,
	}
}

func (c *Cloud) createSnapshot(w http.ResponseWriter, r *http.Request, zone, disk string) {
	var body struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Name == "" {
		apiErr(w, http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf("Invalid value for field 'resource.name': %v", err))
		return
	}
	if _, ok := c.disks[zone+"/"+disk]; !ok {
		apiErr(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("The resource 'projects/%s/zones/%s/disks/%s' was not found", c.Project, zone, disk))
		return
	}
	if _, ok := c.snapshots[body.Name]; ok {
		apiErr(w, http.StatusConflict, "ALREADY_EXISTS", fmt.Sprintf("The resource 'projects/%s/global/snapshots/%s' already exists", c.Project, body.Name))
		return
	}
	c.snapshots[body.Name] = zone + "/" + disk
	writeJSON(w, http.StatusOK, c.opJSON(c.newOp(zone, "createSnapshot", apiBase+c.Project+"/zones/"+zone+"/disks/"+disk)))
}

func (c *Cloud) insertImage(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name           string `json:"name"`
		SourceSnapshot string `json:"sourceSnapshot"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Name == "" {
		apiErr(w, http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf("Invalid value for field 'resource.name': %v", err))
		return
	}
	snap := body.SourceSnapshot[strings.LastIndexByte(body.SourceSnapshot, '/')+1:]
	op := c.newOp("", "insert", apiBase+c.Project+"/global/images/"+body.Name)
	disk, ok := c.snapshots[snap]
	switch {
	case c.ImageError != "":
		op.errCode, op.errMsg, op.httpCode = c.ImageError, "image creation failed: "+c.ImageError, http.StatusForbidden
	case !ok:
		op.errCode, op.errMsg, op.httpCode = "RESOURCE_NOT_FOUND", fmt.Sprintf("The resource 'projects/%s/global/snapshots/%s' was not found", c.Project, snap), http.StatusNotFound
	default:
		c.images[body.Name] = disk
	}
	writeJSON(w, http.StatusOK, c.opJSON(op))
}

func (c *Cloud) globalResource(w http.ResponseWriter, r *http.Request, kind, name string) {
	m := c.snapshots
	if kind == "images" {
		m = c.images
	}
	if _, ok := m[name]; !ok {
		apiErr(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("The resource 'projects/%s/global/%s/%s' was not found", c.Project, kind, name))
		return
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"name": name, "status": "READY"})
	case http.MethodDelete:
		delete(m, name)
		writeJSON(w, http.StatusOK, c.opJSON(c.newOp("", "delete", apiBase+c.Project+"/global/"+kind+"/"+name)))
	default:
		apiErr(w, http.StatusMethodNotAllowed, "INVALID_ARGUMENT", r.Method)
	}
}

// getOp serves operations get and wait: each call is one poll.
func (c *Cloud) getOp(w http.ResponseWriter, name string) {
	op := c.ops[name]
	if op == nil {
		apiErr(w, http.StatusNotFound, "NOT_FOUND", "operation "+name+" not found")
		return
	}
	op.polls++
	writeJSON(w, http.StatusOK, c.opJSON(op))
}
