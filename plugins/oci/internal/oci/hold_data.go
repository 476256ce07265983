package oci

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// holdData is the Data of this provider's holds: all Release needs, with nothing but its own
// configured clients, in a plugin process that may not be the one that made the hold.
type holdData struct {
	// Config is tenancy/region: Release refuses a hold of another tenancy or region.
	Config      string `json:"config"`
	Compartment string `json:"compartment,omitempty"`
	// Name is the image's display name or the PAR's name; Image and PAR their OCID or id
	// once OCI named them. Before, Release finds them by name.
	Name      string `json:"name,omitempty"`
	Image     string `json:"image,omitempty"`
	PAR       string `json:"par,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Bucket    string `json:"bucket,omitempty"`
	Object    string `json:"object,omitempty"`
}

func (d holdData) encode() []byte {
	b, _ := json.Marshal(d) // strings only: cannot fail
	return b
}

func decodeHoldData(h provider.Hold) (holdData, error) {
	var d holdData
	if err := json.Unmarshal(h.Data, &d); err != nil {
		return d, fmt.Errorf("%w: hold %s/%s: its data is not this provider's: %v", provider.ErrInvalidArgument, h.Kind, h.ID, err)
	}
	if d.Config == "" {
		return d, fmt.Errorf("%w: hold %s/%s names no tenancy", provider.ErrInvalidArgument, h.Kind, h.ID)
	}
	return d, nil
}

// newName is a name unique to one export attempt: hypersdk-<job>-<random>.
func newName(jobID string) string {
	job := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return -1
	}, jobID)
	if len(job) > 24 {
		job = job[:24]
	}
	return "hypersdk-" + job + "-" + randomHex(4)
}

// randomHex is n random bytes in hex: names and OpcRetryTokens.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

func imageHold(config, compartment, name, image, instance string) provider.Hold {
	return provider.Hold{Kind: provider.HoldImage, ID: name, Description: "custom image " + name + " of instance " + instance + "; releasing deletes it",
		Data: holdData{Config: config, Compartment: compartment, Name: name, Image: image}.encode()}
}

// objectURI names an object in hold ids and messages.
func objectURI(ns, bucket, object string) string { return "oci://" + bucket + "@" + ns + "/" + object }

// objectHold is the hold on the object ExportImage writes; image is the image being
// exported, whose export Release lets end before it deletes the object.
func objectHold(config, ns, bucket, object, image string) provider.Hold {
	uri := objectURI(ns, bucket, object)
	return provider.Hold{Kind: provider.HoldObject, ID: uri, Description: "exported image " + uri + "; releasing deletes it",
		Data: holdData{Config: config, Namespace: ns, Bucket: bucket, Object: object, Image: image}.encode()}
}

// parHold is the hold on the pre-authenticated request ExportImage writes through.
func parHold(config, ns, bucket, object, name, par string) provider.Hold {
	return provider.Hold{Kind: provider.HoldGrant, ID: name, Description: "pre-authenticated request " + name + " to write " + objectURI(ns, bucket, object) + "; releasing deletes it",
		Data: holdData{Config: config, Namespace: ns, Bucket: bucket, Object: object, Name: name, PAR: par}.encode()}
}
