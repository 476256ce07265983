package oci

import (
	"context"
	"encoding/json"
	"fmt"
)

// resumeToken is an export's checkpoint: what it made in the tenancy and the OpcRetryTokens
// it made them with, recorded before each create, so an attempt after a crash sends the same
// create again (OCI answers with what the first made, not a second image) or goes on polling
// the work request.
type resumeToken struct {
	VM         string `json:"vm"`
	Name       string `json:"name"`
	ImageToken string `json:"image_token,omitempty"`
	Image      string `json:"image,omitempty"`
	Object     string `json:"object,omitempty"`
	PAR        string `json:"par,omitempty"`
	// PARURI is the PAR's write URL, returned once at its creation: a retry that has not
	// sent ExportImage yet needs it again. Checkpoints are never shown or logged.
	PARURI      string `json:"par_uri,omitempty"`
	ExportToken string `json:"export_token,omitempty"`
	WorkRequest string `json:"work_request,omitempty"`
	// CloudDone: the export succeeded and the image and PAR were deleted.
	CloudDone bool `json:"cloud_done,omitempty"`
}

// checkpoint records the token with the host; an export that cannot checkpoint stops.
func (ex *export) checkpoint(ctx context.Context) error {
	b, err := json.Marshal(ex.state)
	if err != nil {
		return fmt.Errorf("encode the resume token: %w", err)
	}
	if err := ex.r.Checkpoint(ctx, b); err != nil {
		return fmt.Errorf("record the checkpoint: %w", err)
	}
	return nil
}

// update changes the state and checkpoints it.
func (ex *export) update(ctx context.Context, change func(*resumeToken)) error {
	change(&ex.state)
	return ex.checkpoint(ctx)
}

// decodeToken reads a resume token of this VM; anything else is no token.
func decodeToken(raw []byte, vmID string) (resumeToken, bool) {
	var t resumeToken
	if len(raw) == 0 || json.Unmarshal(raw, &t) != nil || t.VM != vmID || t.Name == "" {
		return resumeToken{}, false
	}
	return t, true
}
