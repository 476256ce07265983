package armstandin

import (
	"fmt"
	"hash/crc32"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

func (s *Server) vmJSON(vm *VM, instanceView bool) map[string]any {
	diskRef := func(name string) (map[string]any, int32) {
		d := s.disks[key(vm.ResourceGroup, name)]
		var gb int32
		if d != nil {
			gb = int32((d.SizeBytes + (1<<30 - 1)) >> 30)
		}
		return map[string]any{"id": s.resourceID(vm.ResourceGroup, "Microsoft.Compute/disks", name), "storageAccountType": "Premium_LRS"}, gb
	}
	osRef, osGB := diskRef(vm.OSDisk)
	storage := map[string]any{"osDisk": map[string]any{"osType": vm.OSType, "name": vm.OSDisk, "createOption": "FromImage",
		"caching": "ReadWrite", "managedDisk": osRef, "diskSizeGB": osGB, "deleteOption": "Detach"}}
	var data []map[string]any
	for lun, name := range vm.DataDisks {
		ref, gb := diskRef(name)
		data = append(data, map[string]any{"lun": lun, "name": name, "createOption": "Attach", "caching": "None", "managedDisk": ref, "diskSizeGB": gb})
	}
	storage["dataDisks"] = data
	var nics []map[string]any
	for i, n := range vm.NICs {
		nics = append(nics, map[string]any{"id": s.resourceID(vm.ResourceGroup, "Microsoft.Network/networkInterfaces", n.Name),
			"properties": map[string]any{"primary": i == 0}})
	}
	props := map[string]any{
		"vmId":              fmt.Sprintf("00000000-0000-0000-0000-%012x", crc32.ChecksumIEEE([]byte(key(vm.ResourceGroup, vm.Name)))),
		"hardwareProfile":   map[string]any{"vmSize": vm.Size},
		"storageProfile":    storage,
		"networkProfile":    map[string]any{"networkInterfaces": nics},
		"provisioningState": "Succeeded",
	}
	if vm.SecurityType != "" {
		props["securityProfile"] = map[string]any{"securityType": vm.SecurityType,
			"uefiSettings": map[string]any{"secureBootEnabled": vm.SecureBoot, "vTpmEnabled": vm.VTPM}}
	}
	if instanceView {
		props["instanceView"] = s.instanceViewJSON(vm)
	}
	out := map[string]any{"id": s.resourceID(vm.ResourceGroup, "Microsoft.Compute/virtualMachines", vm.Name), "name": vm.Name,
		"type": "Microsoft.Compute/virtualMachines", "location": vm.Location, "properties": props}
	if len(vm.Tags) > 0 {
		out["tags"] = vm.Tags
	}
	return out
}

func (s *Server) instanceViewJSON(vm *VM) map[string]any {
	gen := "V1"
	if d := s.disks[key(vm.ResourceGroup, vm.OSDisk)]; d != nil && d.HyperVGeneration != "" {
		gen = d.HyperVGeneration
	}
	return map[string]any{"hyperVGeneration": gen, "statuses": []map[string]any{
		{"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded"},
		{"code": "PowerState/" + vm.Power, "level": "Info", "displayStatus": "VM " + vm.Power},
	}}
}

// listVMs serves the subscription's VMs a page at a time; statusOnly=true puts each VM's
// instance view (its power state) in the listing, as ARM does.
func (s *Server) listVMs(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := r.URL.Query()
	from := 0
	if tok := q.Get("$skiptoken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n > len(s.order) {
			writeError(w, http.StatusBadRequest, "InvalidSkipToken", "skip token %q is not valid", tok)
			return
		}
		from = n
	}
	to := min(from+s.opts.PageSize, len(s.order))
	page := []map[string]any{}
	for _, k := range s.order[from:to] {
		page = append(page, s.vmJSON(s.vms[k], q.Get("statusOnly") == "true"))
	}
	body := map[string]any{"value": page}
	if to < len(s.order) {
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("$skiptoken", strconv.Itoa(to))
		body["nextLink"] = s.srv.URL + r.URL.Path + "?" + next.Encode()
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) listSizes(w http.ResponseWriter) {
	var out []map[string]any
	for _, z := range sizes {
		out = append(out, map[string]any{"name": z.Name, "numberOfCores": z.Cores, "memoryInMB": z.MemoryMB,
			"maxDataDiskCount": 8, "osDiskSizeInMB": 1047552, "resourceDiskSizeInMB": 8192})
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": out})
}

// vmResource serves one VM: GET (with $expand=instanceView), GET instanceView, and the power
// operations deallocate, powerOff and start.
func (s *Server) vmResource(w http.ResponseWriter, r *http.Request, rg, name, action string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vm := s.vms[key(rg, name)]
	if vm == nil {
		writeError(w, http.StatusNotFound, "ResourceNotFound", "The Resource 'Microsoft.Compute/virtualMachines/%s' under resource group '%s' was not found.", name, rg)
		return
	}
	switch {
	case action == "" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.vmJSON(vm, strings.EqualFold(r.URL.Query().Get("$expand"), "instanceView")))
	case action == "instanceview" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.instanceViewJSON(vm))
	case r.Method == http.MethodPost && (action == "deallocate" || action == "poweroff" || action == "start"):
		if s.refused(w, action) {
			return
		}
		final := map[string]string{"deallocate": "deallocated", "poweroff": "stopped", "start": "running"}[action]
		transient := map[string]string{"deallocate": "deallocating", "poweroff": "stopping", "start": "starting"}[action]
		vm.Power = transient
		op := s.start(action, vm.Location, func() (any, *armError) {
			vm.Power = final
			return nil, nil
		})
		s.accept(w, http.StatusAccepted, op, nil)
	default:
		writeError(w, http.StatusNotFound, "NotFound", "no such route %s %s", r.Method, r.URL.Path)
	}
}

func (s *Server) getNIC(w http.ResponseWriter, rg, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, vm := range s.vms {
		if !strings.EqualFold(vm.ResourceGroup, rg) {
			continue
		}
		for _, n := range vm.NICs {
			if !strings.EqualFold(n.Name, name) {
				continue
			}
			subnet := s.resourceID(rg, "Microsoft.Network/virtualNetworks", n.VNet) + "/subnets/" + n.Subnet
			writeJSON(w, http.StatusOK, map[string]any{"id": s.resourceID(rg, "Microsoft.Network/networkInterfaces", n.Name), "name": n.Name,
				"properties": map[string]any{"macAddress": n.MAC, "primary": true,
					"ipConfigurations": []map[string]any{{"name": "ipconfig1", "properties": map[string]any{"subnet": map[string]any{"id": subnet}}}}}})
			return
		}
	}
	writeError(w, http.StatusNotFound, "ResourceNotFound", "The Resource 'Microsoft.Network/networkInterfaces/%s' under resource group '%s' was not found.", name, rg)
}
