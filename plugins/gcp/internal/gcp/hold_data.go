package gcp

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// HoldBuild is the kind of the hold on an image-export build: releasing cancels it if it still
// runs and deletes its log object.
const HoldBuild = "build"

// holdData is the Data of this provider's holds: all Release needs, with nothing but its own
// configured clients, in a plugin process that may not be the one that made the hold.
type holdData struct {
	Project string `json:"project"`
	Zone    string `json:"zone,omitempty"`
	VM      string `json:"vm,omitempty"` // instance name
	Name    string `json:"name,omitempty"`
	// Build is the build id once Cloud Build named it; before, Release finds the build by
	// its tag, the hold's ID.
	Build  string `json:"build,omitempty"`
	Bucket string `json:"bucket,omitempty"`
	Object string `json:"object,omitempty"`
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
	if d.Project == "" {
		return d, fmt.Errorf("%w: hold %s/%s names no project", provider.ErrInvalidArgument, h.Kind, h.ID)
	}
	return d, nil
}

// names are the names of what one export makes: lowercase, at most 63 characters, starting
// with a letter, as Compute Engine wants them, and unique per attempt.
type names struct{ base string }

func newNames(jobID string) names {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	job := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return -1
	}, jobID)
	if len(job) > 12 {
		job = job[:12]
	}
	if job == "" {
		job = "job"
	}
	return names{base: "hypersdk-" + job + "-" + hex.EncodeToString(b[:])}
}

func (n names) snapshot(disk int) string { return fmt.Sprintf("%s-d%d", n.base, disk) }
func (n names) image(disk int) string    { return fmt.Sprintf("%s-d%d", n.base, disk) }
func (n names) tag(disk int) string      { return fmt.Sprintf("%s-d%d", n.base, disk) }

func snapshotHold(project, name, disk string) provider.Hold {
	return provider.Hold{Kind: provider.HoldSnapshot, ID: name, Description: "snapshot " + name + " of disk " + disk + "; releasing deletes it",
		Data: holdData{Project: project, Name: name}.encode()}
}

func imageHold(project, name, snapshot string) provider.Hold {
	return provider.Hold{Kind: provider.HoldImage, ID: name, Description: "image " + name + " of snapshot " + snapshot + "; releasing deletes it",
		Data: holdData{Project: project, Name: name}.encode()}
}

func objectHold(project, bucket, object string) provider.Hold {
	return provider.Hold{Kind: provider.HoldObject, ID: "gs://" + bucket + "/" + object, Description: "exported disk gs://" + bucket + "/" + object + "; releasing deletes it",
		Data: holdData{Project: project, Bucket: bucket, Object: object}.encode()}
}

// buildHold is the hold on an image-export build tagged tag; logBucket/logObject is where
// Cloud Build writes its log (log-<id>.txt under the logs bucket), known once the id is.
func buildHold(project, tag, build, logBucket, logObject string) provider.Hold {
	desc := "image-export build tagged " + tag + "; releasing cancels it and deletes its log"
	if build != "" {
		desc = "image-export build " + build + " (tag " + tag + "); releasing cancels it and deletes its log"
	}
	return provider.Hold{Kind: HoldBuild, ID: tag, Description: desc,
		Data: holdData{Project: project, Build: build, Bucket: logBucket, Object: logObject}.encode()}
}

func powerHold(project, zone, name string) provider.Hold {
	return provider.Hold{Kind: provider.HoldPower, ID: zone + "/" + name, Description: "instance " + zone + "/" + name + " stopped for the export; releasing starts it",
		Data: holdData{Project: project, Zone: zone, VM: name}.encode()}
}
