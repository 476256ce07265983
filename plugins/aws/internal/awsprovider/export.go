package awsprovider

import (
	"context"
	"fmt"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// ExportVM is filled in by the export slice.
func (p *Provider) ExportVM(ctx context.Context, spec provider.ExportSpec, r provider.Reporter) (provider.ExportResult, error) {
	return provider.ExportResult{}, fmt.Errorf("export: %w", provider.ErrUnsupported)
}

// Release is filled in by the export slice.
func (p *Provider) Release(ctx context.Context, h provider.Hold) error {
	return fmt.Errorf("release: %w", provider.ErrUnsupported)
}
