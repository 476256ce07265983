package awsprovider

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Tags the provider puts on what it makes in the account, so Release finds it again even when
// the process that made it died before it learnt the ids.
const (
	tagHold = "hypersdk:hold" // unique per export: the hold's tag value
	tagJob  = "hypersdk:job"
)

// holdData is a hold's private note: where the thing lives and how to find it. The region and
// EC2 endpoint let Release refuse a hold recorded against another account or endpoint.
type holdData struct {
	Region    string   `json:"region"`
	Endpoint  string   `json:"ec2_endpoint,omitempty"`
	Instance  string   `json:"instance"`
	Tag       string   `json:"tag,omitempty"`       // snapshots: the hypersdk:hold tag value
	Snapshots []string `json:"snapshots,omitempty"` // snapshots: their ids once EC2 named them
	Owner     string   `json:"owner,omitempty"`     // snapshots: the account that owns them
}

func (d holdData) encode() ([]byte, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode hold data: %w", err)
	}
	return b, nil
}

func decodeHoldData(h provider.Hold) (holdData, error) {
	var d holdData
	if err := json.Unmarshal(h.Data, &d); err != nil || d.Region == "" {
		return d, fmt.Errorf("%w: hold %s %s was not recorded by the AWS provider (data: %v)", provider.ErrInvalidArgument, h.Kind, h.ID, err)
	}
	return d, nil
}

func newSuffix() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
