package ocifake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// image is a custom image made by CreateImage: the instance's boot volume at that moment.
type image struct {
	ID, Name, Compartment, Instance, State string
	content                                []byte
	refusal                                string
}

func (img *image) json() map[string]any {
	return map[string]any{"id": img.ID, "compartmentId": img.Compartment, "displayName": img.Name, "lifecycleState": img.State,
		"createImageAllowed": true, "operatingSystem": "Oracle Linux", "operatingSystemVersion": "9", "timeCreated": rfc3339(created),
		"sizeInMBs": int64(len(img.content)) >> 20, "launchMode": "PARAVIRTUALIZED"}
}

func (c *Cloud) createImage(w http.ResponseWriter, r *http.Request) {
	var body struct{ CompartmentId, InstanceId, DisplayName string }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.InstanceId == "" || body.CompartmentId == "" {
		apiErr(w, http.StatusBadRequest, "InvalidParameter", "compartmentId and instanceId are required")
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	token := r.Header.Get("opc-retry-token")
	if done, ok := c.retry[token]; ok && token != "" {
		if img := c.images[done.image]; img != nil {
			w.Header().Set("opc-work-request-id", done.workRequest)
			writeJSON(w, http.StatusOK, img.json())
			return
		}
	}
	inst := c.instance(body.InstanceId)
	if inst == nil {
		notFound(w, "instance "+body.InstanceId)
		return
	}
	img := &image{ID: c.newID("image"), Name: body.DisplayName, Compartment: body.CompartmentId, Instance: inst.ID, State: "PROVISIONING",
		content: append([]byte(nil), inst.Boot...), refusal: inst.ExportRefusal}
	c.images[img.ID] = img
	c.made.ImagesCreated++
	wr := c.startWork("CreateImage", body.CompartmentId, img.ID, c.ImageTime, func(ok bool) {
		if ok {
			img.State = "AVAILABLE"
		} else {
			delete(c.images, img.ID)
		}
	})
	if token != "" {
		c.retry[token] = retried{image: img.ID, workRequest: wr}
	}
	w.Header().Set("opc-work-request-id", wr)
	writeJSON(w, http.StatusOK, img.json())
}

func (c *Cloud) getImage(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := r.PathValue("id")
	if img := c.images[id]; img != nil {
		writeJSON(w, http.StatusOK, img.json())
		return
	}
	if src, ok := c.sources[id]; ok {
		writeJSON(w, http.StatusOK, map[string]any{"id": src.ID, "displayName": src.Name, "lifecycleState": "AVAILABLE", "createImageAllowed": src.CreateImageAllowed,
			"operatingSystem": src.OS, "operatingSystemVersion": src.Version, "timeCreated": rfc3339(created)})
		return
	}
	notFound(w, "image "+id)
}

func (c *Cloud) listImages(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := r.URL.Query()
	out := []map[string]any{}
	for _, img := range c.images {
		if img.Compartment == q.Get("compartmentId") && (q.Get("displayName") == "" || img.Name == q.Get("displayName")) {
			out = append(out, img.json())
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (c *Cloud) deleteImage(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	img := c.images[r.PathValue("id")]
	switch {
	case img == nil:
		notFound(w, "image "+r.PathValue("id"))
	case img.State != "AVAILABLE":
		apiErr(w, http.StatusConflict, "Conflict", "image "+img.ID+" is "+img.State)
	default:
		delete(c.images, img.ID)
		w.WriteHeader(http.StatusNoContent)
	}
}

// exportImage starts the export of an AVAILABLE image to a bucket by name or through a
// pre-authenticated request; the object appears when its work request succeeds.
func (c *Cloud) exportImage(w http.ResponseWriter, r *http.Request) {
	var body struct{ DestinationType, NamespaceName, BucketName, ObjectName, DestinationUri, ExportFormat string }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		apiErr(w, http.StatusBadRequest, "InvalidParameter", err.Error())
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	token := r.Header.Get("opc-retry-token")
	img := c.images[r.PathValue("id")]
	if img == nil {
		notFound(w, "image "+r.PathValue("id"))
		return
	}
	if done, ok := c.retry[token]; ok && token != "" {
		w.Header().Set("opc-work-request-id", done.workRequest)
		writeJSON(w, http.StatusOK, img.json())
		return
	}
	if img.refusal != "" {
		apiErr(w, http.StatusBadRequest, "InvalidParameter", img.refusal)
		return
	}
	if img.State != "AVAILABLE" {
		apiErr(w, http.StatusConflict, "IncorrectState", "image "+img.ID+" is "+img.State)
		return
	}
	bucket, object, why := body.BucketName, body.ObjectName, ""
	switch body.DestinationType {
	case "objectStorageTuple":
		if body.NamespaceName != Namespace {
			why = "unknown namespace " + body.NamespaceName
		}
	case "objectStorageUri":
		bucket, object, why = c.parTarget(body.DestinationUri)
	default:
		why = "unknown destinationType " + body.DestinationType
	}
	if why != "" || bucket != Bucket || object == "" {
		apiErr(w, http.StatusBadRequest, "InvalidParameter", "cannot export there: "+why)
		return
	}
	img.State = "EXPORTING"
	c.made.Exports++
	content, format := img.content, strings.ToUpper(body.ExportFormat)
	wr := c.startWork("ExportImage", img.Compartment, img.ID, c.ExportTime, func(ok bool) {
		img.State = "AVAILABLE"
		if ok {
			c.objects[bucket+"/"+object] = c.exportedObject(content, format)
		}
	})
	if token != "" {
		c.retry[token] = retried{image: img.ID, workRequest: wr}
	}
	w.Header().Set("opc-work-request-id", wr)
	w.Header().Set("etag", "image-etag")
	writeJSON(w, http.StatusOK, img.json())
}

// parTarget is the bucket and object a PAR URI writes, if it names a live write PAR.
func (c *Cloud) parTarget(uri string) (bucket, object, why string) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", "", "bad destinationUri"
	}
	for _, p := range c.pars {
		if strings.HasSuffix(u.EscapedPath(), p.AccessURI) || u.Path == p.accessPath() {
			if time.Now().After(p.Expires) {
				return "", "", "the pre-authenticated request expired"
			}
			return p.Bucket, p.Object, ""
		}
	}
	return "", "", "no pre-authenticated request at " + u.Path
}
