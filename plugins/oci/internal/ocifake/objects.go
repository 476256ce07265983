package ocifake

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// object is an object of the staging bucket.
type object struct {
	data      []byte
	etag, md5 string
}

// exportedObject is what ExportImage writes of a boot volume in format: QCOW2 by qemu-img,
// VMDK streamOptimized, VHD fixed; with qemu-img missing, the raw bytes (a test that wants
// the format checks for qemu-img first); c.mu is held.
func (c *Cloud) exportedObject(raw []byte, format string) *object {
	data := raw
	args := map[string][]string{"QCOW2": {"-O", "qcow2"}, "VMDK": {"-O", "vmdk", "-o", "subformat=streamOptimized"}, "VHD": {"-O", "vpc", "-o", "subformat=fixed"}}[format]
	if args != nil {
		c.seq++
		src := filepath.Join(c.tmp, fmt.Sprintf("export-%d.raw", c.seq))
		dst := src + "." + strings.ToLower(format)
		if err := os.WriteFile(src, raw, 0o644); err == nil {
			cmd := exec.Command("qemu-img", append(append([]string{"convert", "-f", "raw"}, args...), src, dst)...)
			if out, err := cmd.CombinedOutput(); err == nil {
				if b, err := os.ReadFile(dst); err == nil {
					data = b
				}
			} else {
				fmt.Fprintf(os.Stderr, "ocifake: qemu-img convert: %v %s\n", err, out)
			}
		}
		os.Remove(src)
		os.Remove(dst)
	}
	sum := md5.Sum(data)
	return &object{data: data, etag: fmt.Sprintf("etag-%d", c.seq), md5: base64.StdEncoding.EncodeToString(sum[:])}
}

// PutObject stores an object in the staging bucket (the benchmark's).
func (c *Cloud) PutObject(name string, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	sum := md5.Sum(data)
	c.objects[Bucket+"/"+name] = &object{data: data, etag: fmt.Sprintf("etag-%d", c.seq), md5: base64.StdEncoding.EncodeToString(sum[:])}
}

// lookup finds the request's object; c.mu is held.
func (c *Cloud) lookup(w http.ResponseWriter, r *http.Request) *object {
	if r.PathValue("ns") != Namespace {
		apiErr(w, http.StatusNotFound, "NamespaceNotFound", "namespace "+r.PathValue("ns")+" not found")
		return nil
	}
	o := c.objects[r.PathValue("bucket")+"/"+r.PathValue("object")]
	if o == nil {
		apiErr(w, http.StatusNotFound, "ObjectNotFound", "The object '"+r.PathValue("object")+"' was not found in the bucket '"+r.PathValue("bucket")+"'")
	}
	return o
}

func (c *Cloud) headObject(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	o := c.lookup(w, r)
	c.mu.Unlock()
	if o == nil {
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(o.data)))
	w.Header().Set("ETag", o.etag)
	w.Header().Set("Content-MD5", o.md5)
	w.WriteHeader(http.StatusOK)
}

// getObject serves the object or, with Range, one range of it (206 with Content-Range);
// If-Match with another ETag is a 412.
func (c *Cloud) getObject(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	o := c.lookup(w, r)
	if o != nil && r.Header.Get("Range") != "" {
		c.made.RangedGets++
	}
	c.mu.Unlock()
	if o == nil {
		return
	}
	if m := r.Header.Get("If-Match"); m != "" && m != o.etag {
		apiErr(w, http.StatusPreconditionFailed, "IfMatchFailed", "the object's ETag is not "+m)
		return
	}
	w.Header().Set("ETag", o.etag)
	rng := r.Header.Get("Range")
	if rng == "" {
		w.Header().Set("Content-Length", strconv.Itoa(len(o.data)))
		w.Header().Set("Content-MD5", o.md5)
		w.WriteHeader(http.StatusOK)
		c.send(w, o.data)
		return
	}
	var from, to int64
	if _, err := fmt.Sscanf(rng, "bytes=%d-%d", &from, &to); err != nil || from > to || from >= int64(len(o.data)) {
		w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", len(o.data)))
		apiErr(w, http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "range "+rng+" is not satisfiable")
		return
	}
	to = min(to, int64(len(o.data))-1)
	w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, to, len(o.data)))
	w.Header().Set("Content-Length", strconv.FormatInt(to-from+1, 10))
	w.WriteHeader(http.StatusPartialContent)
	c.send(w, o.data[from:to+1])
}

// send writes a GET's body, at most StreamMBps per response when that is set: one
// connection's throughput to a distant region, which parallel ranged GETs multiply.
func (c *Cloud) send(w http.ResponseWriter, b []byte) {
	c.mu.Lock()
	rate := c.StreamMBps
	c.mu.Unlock()
	if rate <= 0 {
		w.Write(b)
		return
	}
	start := time.Now()
	for sent := 0; sent < len(b); {
		n := min(1<<20, len(b)-sent)
		if _, err := w.Write(b[sent : sent+n]); err != nil {
			return
		}
		sent += n
		if ahead := time.Duration(float64(sent)/(rate*1e6)*float64(time.Second)) - time.Since(start); ahead > 0 {
			time.Sleep(ahead)
		}
	}
}

func (c *Cloud) deleteObject(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lookup(w, r) == nil {
		return
	}
	delete(c.objects, r.PathValue("bucket")+"/"+r.PathValue("object"))
	w.WriteHeader(http.StatusNoContent)
}

// par is a pre-authenticated request on one object.
type par struct {
	ID, Name, Bucket, Object, AccessType, AccessURI string
	Expires                                         time.Time
}

func (p *par) accessPath() string {
	return p.AccessURI[:strings.Index(p.AccessURI, "/n/")] + "/n/" + Namespace + "/b/" + p.Bucket + "/o/" + p.Object
}

func (p *par) json(base string) map[string]any {
	return map[string]any{"id": p.ID, "name": p.Name, "accessUri": p.AccessURI, "fullPath": base + p.AccessURI, "accessType": p.AccessType,
		"objectName": p.Object, "timeExpires": rfc3339(p.Expires), "timeCreated": rfc3339(created)}
}

func (c *Cloud) createPAR(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name, AccessType, ObjectName string
		TimeExpires                  time.Time
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Name == "" || body.ObjectName == "" {
		apiErr(w, http.StatusBadRequest, "InvalidParameter", "name and objectName are required")
		return
	}
	if body.AccessType != "ObjectWrite" && body.AccessType != "ObjectReadWrite" {
		apiErr(w, http.StatusBadRequest, "InvalidParameter", "accessType "+body.AccessType+" cannot write an object")
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	secret := fmt.Sprintf("par-secret-%d", c.seq)
	p := &par{ID: fmt.Sprintf("par-%d", c.seq), Name: body.Name, Bucket: r.PathValue("bucket"), Object: body.ObjectName, AccessType: body.AccessType,
		AccessURI: "/p/" + secret + "/n/" + Namespace + "/b/" + r.PathValue("bucket") + "/o/" + strings.ReplaceAll(body.ObjectName, "/", "%2F"), Expires: body.TimeExpires}
	c.pars[p.ID] = p
	writeJSON(w, http.StatusOK, p.json(c.URL()))
}

func (c *Cloud) listPARs(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []map[string]any{}
	for _, p := range c.pars {
		if p.Bucket == r.PathValue("bucket") && strings.HasPrefix(p.Object, r.URL.Query().Get("objectNamePrefix")) {
			m := p.json(c.URL())
			delete(m, "accessUri") // OCI shows the URI once, at creation
			delete(m, "fullPath")
			out = append(out, m)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (c *Cloud) deletePAR(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pars[r.PathValue("id")] == nil {
		apiErr(w, http.StatusNotFound, "ParNotFound", "pre-authenticated request "+r.PathValue("id")+" not found")
		return
	}
	delete(c.pars, r.PathValue("id"))
	w.WriteHeader(http.StatusNoContent)
}
