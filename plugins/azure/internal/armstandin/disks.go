package armstandin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/pageblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/hypersdk/hypersdk/plugins/azure/internal/vhd"
)

func gib(size int64) int64 { return (size + (1<<30 - 1)) >> 30 }

func (s *Server) diskJSON(d *Disk) map[string]any {
	props := map[string]any{"diskSizeGB": gib(d.SizeBytes), "diskSizeBytes": d.SizeBytes,
		"creationData":        map[string]any{"createOption": "Empty", "logicalSectorSize": d.SectorSize},
		"networkAccessPolicy": d.NetworkAccessPolicy, "diskState": "Attached", "provisioningState": "Succeeded"}
	if d.DataAccessAuthMode != "" {
		props["dataAccessAuthMode"] = d.DataAccessAuthMode
	}
	if d.HyperVGeneration != "" {
		props["hyperVGeneration"] = d.HyperVGeneration
	}
	return map[string]any{"id": s.resourceID(d.ResourceGroup, "Microsoft.Compute/disks", d.Name), "name": d.Name,
		"type": "Microsoft.Compute/disks", "location": d.Location, "sku": map[string]any{"name": "Premium_LRS"}, "properties": props}
}

func (s *Server) getDisk(w http.ResponseWriter, rg, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.disks[key(rg, name)]
	if d == nil {
		writeError(w, http.StatusNotFound, "ResourceNotFound", "The Resource 'Microsoft.Compute/disks/%s' under resource group '%s' was not found.", name, rg)
		return
	}
	writeJSON(w, http.StatusOK, s.diskJSON(d))
}

func (s *Server) snapshotJSON(sn *snapshot) map[string]any {
	state := "Succeeded"
	if !sn.Ready {
		state = "Creating"
	}
	access := "None"
	if sn.Grant != "" {
		access = "Active"
	}
	return map[string]any{"id": s.resourceID(sn.ResourceGroup, "Microsoft.Compute/snapshots", sn.Name), "name": sn.Name,
		"type": "Microsoft.Compute/snapshots", "location": sn.Location, "properties": map[string]any{
			"creationData": map[string]any{"createOption": "Copy", "sourceResourceId": sn.Source},
			"diskSizeGB":   gib(sn.SizeBytes), "diskSizeBytes": sn.SizeBytes, "incremental": sn.Incremental,
			"provisioningState": state, "snapshotAccessState": access, "completionPercent": 100,
		}}
}

// snapshotResource serves one snapshot: PUT (create as a copy of a disk), GET, DELETE,
// beginGetAccess and endGetAccess.
func (s *Server) snapshotResource(w http.ResponseWriter, r *http.Request, rg, name, action string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(rg, name)
	sn := s.snapshots[k]
	notFound := func() {
		writeError(w, http.StatusNotFound, "ResourceNotFound", "The Resource 'Microsoft.Compute/snapshots/%s' under resource group '%s' was not found.", name, rg)
	}
	switch {
	case action == "" && r.Method == http.MethodPut:
		if s.refused(w, "snapshotPut") {
			return
		}
		var body struct {
			Location   string `json:"location"`
			Properties struct {
				CreationData struct {
					CreateOption     string `json:"createOption"`
					SourceResourceID string `json:"sourceResourceId"`
				} `json:"creationData"`
				Incremental bool `json:"incremental"`
			} `json:"properties"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			writeError(w, http.StatusBadRequest, "InvalidRequestContent", "the request content was invalid: %v", err)
			return
		}
		src := s.diskByID(body.Properties.CreationData.SourceResourceID)
		if body.Properties.CreationData.CreateOption != "Copy" || src == nil {
			writeError(w, http.StatusBadRequest, "InvalidParameter", "creationData must copy an existing disk, got %s of %q",
				body.Properties.CreationData.CreateOption, body.Properties.CreationData.SourceResourceID)
			return
		}
		data := make(map[int64][]byte, len(src.Data))
		for off, b := range src.Data {
			data[off] = b
		}
		sn = &snapshot{ResourceGroup: rg, Name: name, Location: body.Location, Source: body.Properties.CreationData.SourceResourceID,
			SizeBytes: src.SizeBytes, Data: data, Incremental: body.Properties.Incremental}
		s.snapshots[k] = sn
		op := s.start("snapshotPut", sn.Location, func() (any, *armError) {
			sn.Ready = true
			return s.snapshotJSON(sn), nil
		})
		s.accept(w, http.StatusOK, op, s.snapshotJSON(sn))
	case sn == nil && action == "" && r.Method == http.MethodDelete:
		writeJSON(w, http.StatusNoContent, nil) // ARM: deleting what is not there is done
	case sn == nil:
		notFound()
	case action == "" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.snapshotJSON(sn))
	case action == "" && r.Method == http.MethodDelete:
		if s.refused(w, "snapshotDelete") {
			return
		}
		if sn.Grant != "" {
			writeError(w, http.StatusConflict, "OperationNotAllowed", "Snapshot %s is currently open for export: revoke its access first.", name)
			return
		}
		op := s.start("snapshotDelete", sn.Location, func() (any, *armError) {
			delete(s.snapshots, k)
			return nil, nil
		})
		s.accept(w, http.StatusAccepted, op, nil)
	case action == "begingetaccess" && r.Method == http.MethodPost:
		s.beginGetAccess(w, r, sn)
	case action == "endgetaccess" && r.Method == http.MethodPost:
		if s.refused(w, "endGetAccess") {
			return
		}
		op := s.start("endGetAccess", sn.Location, func() (any, *armError) {
			if sn.Grant != "" {
				s.deleteBlob(sn.Grant)
				sn.Grant = ""
			}
			return nil, nil
		})
		s.accept(w, http.StatusAccepted, op, nil)
	default:
		writeError(w, http.StatusNotFound, "NotFound", "no such route %s %s", r.Method, r.URL.Path)
	}
}

func (s *Server) diskByID(id string) *Disk {
	for _, d := range s.disks {
		if strings.EqualFold(s.resourceID(d.ResourceGroup, "Microsoft.Compute/disks", d.Name), id) {
			return d
		}
	}
	return nil
}

func (s *Server) beginGetAccess(w http.ResponseWriter, r *http.Request, sn *snapshot) {
	if s.refused(w, "beginGetAccess") {
		return
	}
	var body struct {
		Access            string `json:"access"`
		DurationInSeconds int    `json:"durationInSeconds"`
		FileFormat        string `json:"fileFormat"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Access != "Read" || body.DurationInSeconds <= 0 {
		writeError(w, http.StatusBadRequest, "InvalidParameter", "grant access needs access Read and a positive durationInSeconds (%v)", err)
		return
	}
	if src := s.diskByID(sn.Source); src != nil && src.NetworkAccessPolicy == "DenyAll" {
		writeError(w, http.StatusConflict, "OperationNotAllowed", "The network access policy of %s is DenyAll: access cannot be granted.", sn.Name)
		return
	}
	format := body.FileFormat
	if format == "" {
		format = "VHD"
	}
	if format != "VHD" && format != "VHDX" {
		writeError(w, http.StatusBadRequest, "InvalidParameter", "fileFormat must be VHD or VHDX, got %q", body.FileFormat)
		return
	}
	if src := s.diskByID(sn.Source); src != nil && src.SectorSize == 4096 && format != "VHDX" {
		writeError(w, http.StatusBadRequest, "InvalidParameter", "The disk of %s has a 4096-byte logical sector size: access can be granted with fileFormat VHDX only.", sn.Name)
		return
	}
	if !sn.Ready {
		writeError(w, http.StatusConflict, "OperationNotAllowed", "Snapshot %s is still being created.", sn.Name)
		return
	}
	op := s.start("beginGetAccess", sn.Location, func() (any, *armError) {
		if sn.Grant == "" {
			blob, err := s.writeBlob(sn, format)
			if err != nil {
				return nil, &armError{Code: "InternalOperationError", Message: err.Error()}
			}
			sn.Grant = blob
		}
		sasURL, err := s.sasURL(sn.Grant, time.Duration(body.DurationInSeconds)*time.Second)
		if src := s.diskByID(sn.Source); err == nil && src != nil && src.DataAccessAuthMode == "AzureActiveDirectory" {
			sasURL, err = s.entraSAS(sasURL)
		}
		if err != nil {
			return nil, &armError{Code: "InternalOperationError", Message: err.Error()}
		}
		return map[string]any{"accessSAS": sasURL}, nil
	})
	s.accept(w, http.StatusAccepted, op, nil)
}

// grantBlob is the blob name Azure gives every grant's page blob.
const grantBlob = "abcd"

// writeBlob writes a snapshot as a page blob into a container of its own in Azurite: as a
// fixed VHD, its data pages then the footer; as a VHDX, the pages of a dynamic VHDX file that
// hold data. It returns the container's name.
func (s *Server) writeBlob(sn *snapshot, format string) (string, error) {
	if s.opts.Blob == nil {
		return "", fmt.Errorf("the stand-in has no Azurite to serve grants from")
	}
	// Generous: the benchmark's 1 GiB of pages on a loaded machine take minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	pages, size := map[int64][]byte{}, sn.SizeBytes+vhd.FooterSize
	if format == "VHDX" {
		img, err := vhdxImage(ctx, sn.SizeBytes, sn.Data)
		if err != nil {
			return "", err
		}
		pages, size = nonZeroRuns(img), (int64(len(img))+511)/512*512
	} else {
		for off, b := range sn.Data {
			pages[off] = b
		}
		pages[sn.SizeBytes] = vhd.FixedFooter(sn.SizeBytes, time.Now())
	}
	name := strings.ToLower(s.newID("grant-") + "-" + sn.Name)
	if len(name) > 63 {
		name = name[:63]
	}
	name = strings.TrimRight(name, "-")
	c, err := s.opts.Blob.Container(ctx, name)
	if err != nil {
		return "", err
	}
	pb := c.NewPageBlobClient(grantBlob)
	if _, err := pb.Create(ctx, size, nil); err != nil {
		return "", fmt.Errorf("create page blob: %w", err)
	}
	const maxPut = 4 << 20 // Azure's limit for one Put Page
	for _, off := range offsets(pages) {
		b := pages[off]
		if pad := len(b) % 512; pad != 0 {
			b = append(append([]byte(nil), b...), make([]byte, 512-pad)...)
		}
		for at := 0; at < len(b); at += maxPut {
			part := b[at:min(at+maxPut, len(b))]
			rng := pageRange(off+int64(at), int64(len(part)))
			if _, err := pb.UploadPages(ctx, streaming.NopCloser(bytes.NewReader(part)), rng, nil); err != nil {
				return "", fmt.Errorf("upload pages at %d: %w", off+int64(at), err)
			}
		}
	}
	return name, nil
}

func (s *Server) sasURL(containerName string, valid time.Duration) (string, error) {
	pb, err := pageblob.NewClientWithSharedKeyCredential(s.opts.Blob.URL+"/"+containerName+"/"+grantBlob, s.opts.Blob.Credential(), nil)
	if err != nil {
		return "", err
	}
	return pb.GetSASURL(sas.BlobPermissions{Read: true}, time.Now().UTC().Add(valid), nil)
}

// deleteBlob deletes a grant's container: its SAS serves nothing any more.
func (s *Server) deleteBlob(containerName string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := container.NewClientWithSharedKeyCredential(s.opts.Blob.URL+"/"+containerName, s.opts.Blob.Credential(), nil)
	if err == nil {
		_, _ = c.Delete(ctx, nil)
	}
}

func pageRange(off, n int64) blob.HTTPRange { return blob.HTTPRange{Offset: off, Count: n} }
