// Package azurite starts Azurite's blob service (npm azurite) for a test, on a free loopback
// port, and stops it when the test ends. Azurite is the real peer for the Azure provider's
// data path: page blobs with holes, Get Page Ranges, ranged reads through a service SAS and the
// SAS's expiry. deploy/install-deps.sh --test installs it under bin/tools/azurite.
package azurite

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// The well-known development account every Azurite serves.
const (
	Account = "devstoreaccount1"
	Key     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// Azurite is a running blob service.
type Azurite struct {
	// URL is the service URL, path-style: http://127.0.0.1:PORT/devstoreaccount1.
	URL string
}

// Binary finds azurite-blob: on PATH, or where deploy/install-deps.sh --test puts it
// (bin/tools/azurite under the repository root). It is "" when neither has it.
func Binary() string {
	if p, err := exec.LookPath("azurite-blob"); err == nil {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			p := filepath.Join(dir, "bin", "tools", "azurite", "node_modules", ".bin", "azurite-blob")
			if _, err := os.Stat(p); err == nil {
				return p
			}
			return ""
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}

// Start runs azurite-blob for the test, in memory, and stops it in t.Cleanup. A missing
// Azurite fails the test under CI=true and skips it elsewhere.
func Start(t testing.TB) *Azurite {
	t.Helper()
	bin := Binary()
	providertest.NeedPeer(t, bin != "", "azurite-blob not found (deploy/install-deps.sh --test installs it: npm install --prefix bin/tools/azurite azurite@3.37.0)")
	dir := t.TempDir()
	a, stop, err := Launch(bin, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return a
}

// Launch runs the azurite-blob at bin, in memory, with dir as its working directory, on a
// free loopback port, and returns once it listens; stop ends it. It is Start for programs
// that are not tests (cmd/hypersdk-azure-standin).
func Launch(bin, dir string) (a *Azurite, stop func(), err error) {
	port, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	// --skipApiVersionCheck: azblob sends an API version newer than Azurite knows.
	// --disableTelemetry: otherwise it dials a metadata address and ignores SIGTERM.
	cmd := exec.Command(bin, "--blobHost", "127.0.0.1", "--blobPort", strconv.Itoa(port),
		"--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry", "--silent")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start azurite: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop = func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		select {
		case err := <-exited:
			return nil, nil, fmt.Errorf("azurite exited before it listened: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return nil, nil, fmt.Errorf("azurite did not listen on %s within 20s", addr)
		}
	}
	return &Azurite{URL: "http://" + addr + "/" + Account}, stop, nil
}

// Credential is the shared key of the development account.
func (a *Azurite) Credential() *azblob.SharedKeyCredential {
	c, err := azblob.NewSharedKeyCredential(Account, Key)
	if err != nil {
		panic(err) // the well-known key is valid base64
	}
	return c
}

// Container creates a container and returns a client for it.
func (a *Azurite) Container(ctx context.Context, name string) (*container.Client, error) {
	c, err := container.NewClientWithSharedKeyCredential(a.URL+"/"+name, a.Credential(), nil)
	if err != nil {
		return nil, err
	}
	if _, err := c.Create(ctx, nil); err != nil {
		return nil, fmt.Errorf("create container %s: %w", name, err)
	}
	return c, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
