// Package kvm defines migrated VMs in libvirt through its RPC protocol (a pure-Go client over the
// libvirtd socket; no cgo, no virsh): name-clash and network checks first, then define,
// autostart, and undefine again if any step after define fails.
package kvm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"
)

// Errors the API maps to 409 and 400.
var (
	ErrExists      = errors.New("a libvirt domain with that name already exists")
	ErrNoNetwork   = errors.New("libvirt network not found")
	ErrUnavailable = errors.New("libvirt is not reachable")
)

// Config says how to reach libvirtd.
type Config struct {
	Socket string // default /var/run/libvirt/libvirt-sock
	URI    string // default qemu:///system
}

// Defined is a domain now known to libvirt.
type Defined struct {
	Name      string `json:"name"`
	UUID      string `json:"uuid"`
	Autostart bool   `json:"autostart"`
}

// defineMu serialises look-up-then-define: libvirt redefines an existing domain when given
// its name without a UUID, so two imports of one name in this daemon must not interleave.
var defineMu sync.Mutex

// NameFree checks, before anything is converted, that no libvirt domain is called name: an
// import under a taken name would fail at define time, after the disks were written.
func NameFree(ctx context.Context, c Config, name string) error {
	return c.session(ctx, func(l *libvirt.Libvirt) error { return nameFree(l, name) })
}

func nameFree(l *libvirt.Libvirt, name string) error {
	if _, err := l.DomainLookupByName(name); err == nil {
		return fmt.Errorf("%w: %s", ErrExists, name)
	} else if !libvirt.IsNotFound(err) {
		return fmt.Errorf("look up domain %s: %w", name, err)
	}
	return nil
}

// Define defines dom in libvirt and, if asked, marks it to start with the host. The networks
// its interfaces name must exist, and no domain may have its name.
func Define(ctx context.Context, c Config, dom *libvirtxml.Domain, autostart bool) (Defined, error) {
	var def Defined
	err := c.session(ctx, func(l *libvirt.Libvirt) error {
		var err error
		def, err = define(l, dom, autostart)
		return err
	})
	return def, err
}

func define(l *libvirt.Libvirt, dom *libvirtxml.Domain, autostart bool) (Defined, error) {
	defineMu.Lock()
	defer defineMu.Unlock()
	if err := nameFree(l, dom.Name); err != nil {
		return Defined{}, err
	}
	if dom.Devices != nil {
		for _, iface := range dom.Devices.Interfaces {
			if iface.Source == nil || iface.Source.Network == nil {
				continue
			}
			if _, err := l.NetworkLookupByName(iface.Source.Network.Network); err != nil {
				return Defined{}, fmt.Errorf("%w: %q (%v)", ErrNoNetwork, iface.Source.Network.Network, err)
			}
		}
	}
	xml, err := dom.Marshal()
	if err != nil {
		return Defined{}, err
	}
	d, err := l.DomainDefineXMLFlags(xml, 0)
	if err != nil {
		return Defined{}, fmt.Errorf("libvirt refused the domain: %w", err)
	}
	if autostart {
		if err := l.DomainSetAutostart(d, 1); err != nil {
			if uerr := l.DomainUndefineFlags(d, libvirt.DomainUndefineNvram); uerr != nil {
				return Defined{}, fmt.Errorf("set autostart on %s: %w (and undefining it again failed: %v; remove it with virsh undefine)", dom.Name, err, uerr)
			}
			return Defined{}, fmt.Errorf("set autostart on %s (domain undefined again): %w", dom.Name, err)
		}
	}
	return Defined{Name: d.Name, UUID: uuidString(d.UUID), Autostart: autostart}, nil
}

// NewUUID is a random (version 4) domain UUID, written as libvirt writes them: an import
// chooses its domain's UUID, and records it, before libvirt hears of the domain.
func NewUUID() string {
	var u libvirt.UUID
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return uuidString(u)
}

func uuidString(u libvirt.UUID) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// LookupUUID finds the domain with the given UUID: an import that defined it and was then
// interrupted knows it by the UUID it chose before defining.
func LookupUUID(ctx context.Context, c Config, uuid string) (Defined, bool, error) {
	var u libvirt.UUID
	raw, err := hex.DecodeString(strings.ReplaceAll(uuid, "-", ""))
	if err != nil || len(raw) != len(u) {
		return Defined{}, false, fmt.Errorf("domain UUID %q is not 32 hex digits", uuid)
	}
	copy(u[:], raw)
	var def Defined
	var found bool
	err = c.session(ctx, func(l *libvirt.Libvirt) error {
		d, err := l.DomainLookupByUUID(u)
		if libvirt.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("look up domain %s: %w", uuid, err)
		}
		auto, err := l.DomainGetAutostart(d)
		if err != nil {
			return fmt.Errorf("read autostart of %s: %w", d.Name, err)
		}
		def, found = Defined{Name: d.Name, UUID: uuidString(d.UUID), Autostart: auto == 1}, true
		return nil
	})
	return def, found, err
}
