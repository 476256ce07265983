package ocifake

import (
	"fmt"
	"net/http"
	"time"
)

var created = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func (c *Cloud) listADs(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, []map[string]any{
		{"name": "Uocm:US-ASHBURN-AD-1", "id": "ocid1.availabilitydomain.oc1..ad1", "compartmentId": Tenancy},
		{"name": "Uocm:US-ASHBURN-AD-2", "id": "ocid1.availabilitydomain.oc1..ad2", "compartmentId": Tenancy},
	})
}

func (c *Cloud) listCompartments(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []map[string]any{}
	for _, cp := range c.compartments {
		out = append(out, map[string]any{"id": cp.ID, "compartmentId": Tenancy, "name": cp.Name, "description": cp.Name,
			"timeCreated": rfc3339(created), "lifecycleState": "ACTIVE"})
	}
	page(w, r, out, 1) // one per page: the provider follows opc-next-page
}

// instance finds an instance by OCID; c.mu is held.
func (c *Cloud) instance(id string) *Instance {
	for _, i := range c.instances {
		if i.ID == id {
			return i
		}
	}
	return nil
}

func instanceJSON(i *Instance) map[string]any {
	m := map[string]any{
		"id": i.ID, "compartmentId": i.Compartment, "availabilityDomain": i.AD, "displayName": i.Name, "lifecycleState": i.State,
		"region": "iad", "shape": i.Shape, "timeCreated": rfc3339(created), "faultDomain": "FAULT-DOMAIN-1",
		"shapeConfig":  map[string]any{"ocpus": i.OCPUs, "memoryInGBs": i.MemoryGB, "vcpus": int(i.OCPUs * 2)},
		"freeformTags": i.FreeformTags, "definedTags": i.DefinedTags, "launchMode": "PARAVIRTUALIZED",
		"launchOptions": map[string]any{"firmware": "BIOS", "bootVolumeType": "PARAVIRTUALIZED", "networkType": "PARAVIRTUALIZED"},
	}
	if i.UEFI || i.SecureBoot {
		m["launchOptions"].(map[string]any)["firmware"] = "UEFI_64"
	}
	if i.SecureBoot {
		m["platformConfig"] = map[string]any{"type": "AMD_VM", "isSecureBootEnabled": true, "isTrustedPlatformModuleEnabled": true}
	}
	if i.SourceImage != "" {
		m["imageId"] = i.SourceImage
		m["sourceDetails"] = map[string]any{"sourceType": "image", "imageId": i.SourceImage}
	}
	return m
}

func (c *Cloud) listInstances(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []map[string]any{}
	for _, i := range c.instances {
		if i.Compartment == r.URL.Query().Get("compartmentId") {
			out = append(out, instanceJSON(i))
		}
	}
	page(w, r, out, c.PageSize)
}

func (c *Cloud) getInstance(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := c.instance(r.PathValue("id")); i != nil {
		writeJSON(w, http.StatusOK, instanceJSON(i))
		return
	}
	notFound(w, "instance "+r.PathValue("id"))
}

// Volume and VNIC OCIDs derive from the instance's: instance id + "-boot", "-vol<n>", "-vnic<n>".
func (c *Cloud) listBootAttachments(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []map[string]any{}
	if i := c.instance(r.URL.Query().Get("instanceId")); i != nil {
		out = append(out, map[string]any{"id": i.ID + "-bootatt", "availabilityDomain": i.AD, "compartmentId": i.Compartment, "instanceId": i.ID,
			"bootVolumeId": i.ID + "-boot", "lifecycleState": "ATTACHED", "timeCreated": rfc3339(created)})
	}
	writeJSON(w, http.StatusOK, out)
}

func (c *Cloud) getBootVolume(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, i := range c.instances {
		if i.ID+"-boot" == r.PathValue("id") {
			writeJSON(w, http.StatusOK, map[string]any{"id": i.ID + "-boot", "displayName": i.Name + " (Boot Volume)", "availabilityDomain": i.AD,
				"compartmentId": i.Compartment, "lifecycleState": "AVAILABLE", "sizeInGBs": i.BootGB, "sizeInMBs": i.BootGB << 10, "timeCreated": rfc3339(created)})
			return
		}
	}
	notFound(w, "boot volume "+r.PathValue("id"))
}

func (c *Cloud) listVolumeAttachments(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []map[string]any{}
	if i := c.instance(r.URL.Query().Get("instanceId")); i != nil {
		for n := range i.Volumes {
			out = append(out, map[string]any{"attachmentType": "paravirtualized", "id": fmt.Sprintf("%s-volatt%d", i.ID, n), "instanceId": i.ID,
				"volumeId": fmt.Sprintf("%s-vol%d", i.ID, n), "availabilityDomain": i.AD, "compartmentId": i.Compartment,
				"lifecycleState": "ATTACHED", "timeCreated": rfc3339(created), "device": fmt.Sprintf("/dev/oracleoci/oraclevd%c", 'b'+n)})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (c *Cloud) getVolume(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, i := range c.instances {
		for n, v := range i.Volumes {
			if fmt.Sprintf("%s-vol%d", i.ID, n) == r.PathValue("id") {
				writeJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("id"), "displayName": v.Name, "availabilityDomain": i.AD,
					"compartmentId": i.Compartment, "lifecycleState": "AVAILABLE", "sizeInGBs": v.GB, "sizeInMBs": v.GB << 10, "timeCreated": rfc3339(created)})
				return
			}
		}
	}
	notFound(w, "volume "+r.PathValue("id"))
}

func (c *Cloud) listVnicAttachments(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []map[string]any{}
	if i := c.instance(r.URL.Query().Get("instanceId")); i != nil {
		for n, v := range i.VNICs {
			out = append(out, map[string]any{"id": fmt.Sprintf("%s-vnicatt%d", i.ID, n), "instanceId": i.ID, "vnicId": fmt.Sprintf("%s-vnic%d", i.ID, n),
				"availabilityDomain": i.AD, "compartmentId": i.Compartment, "subnetId": v.Subnet, "lifecycleState": "ATTACHED", "timeCreated": rfc3339(created)})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (c *Cloud) getVnic(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, i := range c.instances {
		for n, v := range i.VNICs {
			if fmt.Sprintf("%s-vnic%d", i.ID, n) == r.PathValue("id") {
				writeJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("id"), "displayName": v.Name, "macAddress": v.MAC, "subnetId": v.Subnet,
					"availabilityDomain": i.AD, "compartmentId": i.Compartment, "lifecycleState": "AVAILABLE", "timeCreated": rfc3339(created), "isPrimary": n == 0})
				return
			}
		}
	}
	notFound(w, "vnic "+r.PathValue("id"))
}
