package kvm

import (
	"context"

	"github.com/digitalocean/go-libvirt"
)

// Test helpers: read back and remove what Define made.

// Undefine removes a domain and its NVRAM.
func Undefine(ctx context.Context, c Config, name string) error {
	return c.session(ctx, func(l *libvirt.Libvirt) error {
		d, err := l.DomainLookupByName(name)
		if err != nil {
			return err
		}
		return l.DomainUndefineFlags(d, libvirt.DomainUndefineNvram)
	})
}

// Lookup says whether a domain exists and whether it autostarts.
func Lookup(ctx context.Context, c Config, name string) (Defined, bool, error) {
	var def Defined
	var found bool
	err := c.session(ctx, func(l *libvirt.Libvirt) error {
		d, err := l.DomainLookupByName(name)
		if libvirt.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		auto, err := l.DomainGetAutostart(d)
		if err != nil {
			return err
		}
		def, found = Defined{Name: d.Name, UUID: uuidString(d.UUID), Autostart: auto == 1}, true
		return nil
	})
	return def, found, err
}
