// Package motoserver starts moto_server, the AWS emulator (pip package moto), on a free
// loopback port for a test, and makes EC2 instances there through the real SDK client. moto is
// the real peer for EC2 discovery and the snapshot lifecycle; its EBS direct APIs break the
// documented rules, so block reads are served by package ebsdirect instead.
package motoserver

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// Region is the region the tests use.
const Region = "us-east-1"

// Server is a running moto_server.
type Server struct {
	URL string
	EC2 *ec2.Client
}

// Start runs moto_server for the test and stops it at cleanup. Without moto_server the test
// fails under CI and is skipped elsewhere.
func Start(t testing.TB) *Server {
	t.Helper()
	s, stop := start(t)
	t.Cleanup(stop)
	return s
}

var shared struct {
	sync.Mutex
	s    *Server
	stop func()
}

// Shared is one moto_server for all the tests of a package that call it, started by the first;
// the package's TestMain calls StopShared. Its first EC2 call costs moto seconds, so tests
// that need no empty account share it and tell their instances apart by id.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.Lock()
	defer shared.Unlock()
	if shared.s == nil {
		shared.s, shared.stop = start(t)
	}
	return shared.s
}

// StopShared stops the shared server, if one was started.
func StopShared() {
	shared.Lock()
	defer shared.Unlock()
	if shared.stop != nil {
		shared.stop()
		shared.s, shared.stop = nil, nil
	}
}

func start(t testing.TB) (*Server, func()) {
	t.Helper()
	bin := providertest.NeedTool(t, "moto_server", "pip install 'moto[server]'; deploy/install-deps.sh --test checks it")
	s, stop, err := Launch(bin)
	if err != nil {
		t.Fatal(err)
	}
	return s, stop
}

// Launch runs the moto_server at bin on a free loopback port and waits until it answers; stop
// ends it. Tests call Start or Shared; Launch is for programs (the stand-in binary).
func Launch(bin string) (s *Server, stop func(), err error) {
	port, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	// Without its 1,000-odd default AMIs (and their snapshots) moto answers in milliseconds;
	// Run registers the one image it needs.
	cmd.Env = append(os.Environ(), "MOTO_EC2_LOAD_DEFAULT_AMIS=false")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start moto_server: %w", err)
	}
	stop = func() {
		// moto_server (werkzeug) may fork a reloader child: stop its process group.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_ = cmd.Wait()
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			stop()
			return nil, nil, fmt.Errorf("moto_server did not answer on %s within 20s: %w", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &Server{URL: url, EC2: NewEC2(url)}, stop, nil
}

// NewEC2 is an EC2 client of the test account for the emulator at url.
func NewEC2(url string) *ec2.Client {
	return ec2.New(ec2.Options{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRETTEST", ""),
		BaseEndpoint: aws.String(url),
	})
}

// Settings are the provider settings that point at this emulator (EBS direct at ebsURL).
func (s *Server) Settings(ebsURL string) map[string]any {
	return map[string]any{
		"region": Region, "ec2_endpoint": s.URL, "ebs_endpoint": ebsURL,
		"access_key_id": "AKIDTEST", "secret_access_key": "SECRETTEST",
		"snapshot_poll_interval": "50ms", "retry_max_backoff": "100ms", "request_timeout": "10s",
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Context is a test's context with a deadline, for fixture calls.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
