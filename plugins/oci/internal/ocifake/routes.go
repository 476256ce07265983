package ocifake

import (
	"net/http"
	"strings"
)

// routes is every call the provider makes, behind the signature check.
func (c *Cloud) routes() http.Handler {
	m := http.NewServeMux()
	const v = "/20160918"
	m.HandleFunc("GET "+v+"/availabilityDomains", c.listADs)
	m.HandleFunc("GET "+v+"/compartments", c.listCompartments)
	m.HandleFunc("GET "+v+"/instances", c.listInstances)
	m.HandleFunc("GET "+v+"/instances/{id}", c.getInstance)
	m.HandleFunc("GET "+v+"/bootVolumeAttachments", c.listBootAttachments)
	m.HandleFunc("GET "+v+"/bootVolumes/{id}", c.getBootVolume)
	m.HandleFunc("GET "+v+"/volumeAttachments", c.listVolumeAttachments)
	m.HandleFunc("GET "+v+"/volumes/{id}", c.getVolume)
	m.HandleFunc("GET "+v+"/vnicAttachments", c.listVnicAttachments)
	m.HandleFunc("GET "+v+"/vnics/{id}", c.getVnic)
	m.HandleFunc("GET "+v+"/images", c.listImages)
	m.HandleFunc("POST "+v+"/images", c.createImage)
	m.HandleFunc("GET "+v+"/images/{id}", c.getImage)
	m.HandleFunc("DELETE "+v+"/images/{id}", c.deleteImage)
	m.HandleFunc("POST "+v+"/images/{id}/actions/export", c.exportImage)
	m.HandleFunc("GET "+v+"/workRequests/{id}", c.getWorkRequest)
	m.HandleFunc("GET "+v+"/workRequests/{id}/errors", c.workRequestErrors)
	m.HandleFunc("HEAD /n/{ns}/b/{bucket}/o/{object...}", c.headObject)
	m.HandleFunc("GET /n/{ns}/b/{bucket}/o/{object...}", c.getObject)
	m.HandleFunc("DELETE /n/{ns}/b/{bucket}/o/{object...}", c.deleteObject)
	m.HandleFunc("POST /n/{ns}/b/{bucket}/p", c.createPAR)
	m.HandleFunc("GET /n/{ns}/b/{bucket}/p", c.listPARs)
	m.HandleFunc("DELETE /n/{ns}/b/{bucket}/p/{id}", c.deletePAR)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apiErr(w, http.StatusNotFound, "NotFound", "no such call "+r.Method+" "+r.URL.Path)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if why := c.verify(r); why != "" {
			c.mu.Lock()
			c.made.Unauthorized++
			c.mu.Unlock()
			apiErr(w, http.StatusUnauthorized, "NotAuthenticated", "The required information to complete authentication was not provided or was incorrect: "+why)
			return
		}
		r.URL.Path = strings.TrimSuffix(r.URL.Path, "/")
		r.URL.RawPath = strings.TrimSuffix(r.URL.RawPath, "/")
		c.mu.Lock()
		c.advance()
		c.mu.Unlock()
		m.ServeHTTP(w, r)
	})
}

// page serves items[from:from+size] of a list with opc-next-page when more follow.
func page[T any](w http.ResponseWriter, r *http.Request, items []T, size int) {
	from := 0
	if p := r.URL.Query().Get("page"); p != "" {
		for _, ch := range p {
			from = from*10 + int(ch-'0')
		}
	}
	from = min(from, len(items))
	to := min(from+size, len(items))
	if to < len(items) {
		w.Header().Set("opc-next-page", itoa(to))
	}
	writeJSON(w, http.StatusOK, items[from:to])
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
