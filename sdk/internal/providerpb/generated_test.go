package providerpb_test

import (
	"bytes"
	"github.com/hypersdk/hypersdk/sdk/providertest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The committed generated code must be what `make proto` produces from the .proto today.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	for _, tool := range []string{"protoc", "protoc-gen-go", "protoc-gen-go-grpc"} {
		providertest.NeedTool(t, tool, "`make test` installs it: make tools, bin/tools on PATH")
	}
	out := t.TempDir()
	const mod = "github.com/hypersdk/hypersdk/sdk/internal/providerpb"
	cmd := exec.Command("protoc", "--proto_path=../../proto",
		"--go_out="+out, "--go_opt=module="+mod, "--go-grpc_out="+out, "--go-grpc_opt=module="+mod,
		"hypersdk/provider/v2/provider.proto")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("protoc: %v\n%s", err, msg)
	}
	for _, f := range []string{"provider.pb.go", "provider_grpc.pb.go"} {
		want, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(f)
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run `make proto` and commit the result", f)
		}
	}
}
