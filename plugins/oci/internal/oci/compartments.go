package oci

import (
	"context"

	"github.com/oracle/oci-go-sdk/v65/identity"
)

// compartment is one compartment whose instances are listed.
type compartment struct{ id, name string }

// compartments are the configured compartments, or the tenancy and every active compartment
// under it that the caller can reach.
func compartments(ctx context.Context, c *clients, s Settings) ([]compartment, error) {
	if len(s.Compartments) > 0 {
		out := make([]compartment, len(s.Compartments))
		for i, id := range s.Compartments {
			out[i] = compartment{id: id}
		}
		return out, nil
	}
	out := []compartment{{id: s.Tenancy, name: "root"}}
	req := identity.ListCompartmentsRequest{CompartmentId: &s.Tenancy, CompartmentIdInSubtree: ptr(true),
		AccessLevel: identity.ListCompartmentsAccessLevelAccessible, LifecycleState: identity.CompartmentLifecycleStateActive}
	for {
		resp, err := c.identity.ListCompartments(ctx, req)
		if err != nil {
			return nil, apiError(err, "list the compartments of tenancy %s", s.Tenancy)
		}
		for _, cp := range resp.Items {
			out = append(out, compartment{id: deref(cp.Id), name: deref(cp.Name)})
		}
		if resp.OpcNextPage == nil {
			return out, nil
		}
		req.Page = resp.OpcNextPage
	}
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
