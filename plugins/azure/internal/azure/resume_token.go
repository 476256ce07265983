package azure

import "encoding/json"

// resumeToken is what the provider asks the host to keep between attempts of a job: per disk
// (by its key: os, lun0…), the snapshot it made — reused while its hold stands — and how much
// of the disk is written. It never holds a SAS: a retry grants access again.
type resumeToken struct {
	Disks map[string]*diskState `json:"disks,omitempty"`
}

type diskState struct {
	ResourceGroup string `json:"resource_group"`
	Snapshot      string `json:"snapshot"`
	// Poller is the snapshot operation's poller resume token while Azure is making it.
	Poller   string   `json:"poller,omitempty"`
	Created  bool     `json:"created,omitempty"`
	File     string   `json:"file,omitempty"`
	DataSize int64    `json:"data_size,omitempty"`
	Done     diskDone `json:"done"`
	Complete bool     `json:"complete,omitempty"`
}

func decodeToken(raw []byte) resumeToken {
	var t resumeToken
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &t) // a token from another version is no token: start over
	}
	if t.Disks == nil {
		t.Disks = map[string]*diskState{}
	}
	return t
}

func (t resumeToken) encode() []byte {
	b, _ := json.Marshal(t) // plain data: cannot fail
	return b
}
