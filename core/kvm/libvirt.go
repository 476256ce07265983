// Package kvm defines migrated VMs in libvirt through its RPC protocol (a pure-Go client over the
// libvirtd socket; no cgo, no virsh): name-clash and network checks first, then define,
// autostart, and undefine again if any step after define fails.
package kvm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket/dialers"
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

func (c Config) connect(ctx context.Context) (*libvirt.Libvirt, error) {
	sock, uri := c.Socket, c.URI
	if sock == "" {
		sock = "/var/run/libvirt/libvirt-sock"
	}
	if uri == "" {
		uri = string(libvirt.QEMUSystem)
	}
	timeout := 10 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	l := libvirt.NewWithDialer(dialers.NewLocal(dialers.WithSocket(sock), dialers.WithLocalTimeout(timeout)))
	if err := l.ConnectToURI(libvirt.ConnectURI(uri)); err != nil {
		return nil, fmt.Errorf("%w: connect to %s over %s: %v", ErrUnavailable, uri, sock, err)
	}
	return l, nil
}

// defineMu serialises look-up-then-define: libvirt redefines an existing domain when given
// its name without a UUID, so two imports of one name in this daemon must not interleave.
var defineMu sync.Mutex

// NameFree checks, before anything is converted, that no libvirt domain is called name: an
// import under a taken name would fail at define time, after the disks were written.
func NameFree(ctx context.Context, c Config, name string) error {
	l, err := c.connect(ctx)
	if err != nil {
		return err
	}
	defer l.Disconnect()
	return nameFree(l, name)
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
	l, err := c.connect(ctx)
	if err != nil {
		return Defined{}, err
	}
	defer l.Disconnect()
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
			_ = l.DomainUndefineFlags(d, libvirt.DomainUndefineNvram)
			return Defined{}, fmt.Errorf("set autostart on %s (domain undefined again): %w", dom.Name, err)
		}
	}
	return Defined{Name: d.Name, UUID: uuidString(d.UUID), Autostart: autostart}, nil
}

func uuidString(u libvirt.UUID) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
