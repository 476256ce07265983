package kvm

import (
	"context"

	"github.com/digitalocean/go-libvirt"
)

// Test helpers: read back and remove what Define made.

// Undefine removes a domain and its NVRAM.
func Undefine(ctx context.Context, c Config, name string) error {
	l, err := c.connect(ctx)
	if err != nil {
		return err
	}
	defer l.Disconnect()
	d, err := l.DomainLookupByName(name)
	if err != nil {
		return err
	}
	return l.DomainUndefineFlags(d, libvirt.DomainUndefineNvram)
}

// Lookup says whether a domain exists and whether it autostarts.
func Lookup(ctx context.Context, c Config, name string) (Defined, bool, error) {
	l, err := c.connect(ctx)
	if err != nil {
		return Defined{}, false, err
	}
	defer l.Disconnect()
	d, err := l.DomainLookupByName(name)
	if libvirt.IsNotFound(err) {
		return Defined{}, false, nil
	}
	if err != nil {
		return Defined{}, false, err
	}
	auto, err := l.DomainGetAutostart(d)
	if err != nil {
		return Defined{}, false, err
	}
	return Defined{Name: d.Name, UUID: uuidString(d.UUID), Autostart: auto == 1}, true, nil
}
