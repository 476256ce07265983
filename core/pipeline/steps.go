// Package pipeline holds the stages a job runs after a provider has exported a VM: verifying
// what the plugin says it wrote, packaging (manifest, OVA), converting disks with qemu-img,
// describing the VM as libvirt domain XML, defining it in libvirt, or handing the export to
// hyper2kvm. Each stage is a Step with a cleanup; Run undoes completed steps in reverse order
// when a later one fails, so a failed job leaves nothing half-made behind.
package pipeline

import (
	"context"
	"fmt"
)

// Step is one unit of work and how to undo it.
type Step struct {
	Name    string
	Run     func(ctx context.Context) error
	Cleanup func() // may be nil; runs only if a later step (or this one) failed
}

// Run runs steps in order. When one fails, the cleanups of it and of every step before it run
// in reverse order, and the error names the step.
func Run(ctx context.Context, steps []Step) error {
	for i, s := range steps {
		err := ctx.Err()
		if err == nil {
			err = s.Run(ctx)
		}
		if err != nil {
			for j := i; j >= 0; j-- {
				if steps[j].Cleanup != nil {
					steps[j].Cleanup()
				}
			}
			return fmt.Errorf("%s: %w", s.Name, err)
		}
	}
	return nil
}
