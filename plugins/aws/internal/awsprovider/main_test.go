package awsprovider

import (
	"os"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/aws/internal/motoserver"
)

func TestMain(m *testing.M) {
	code := m.Run()
	motoserver.StopShared()
	os.Exit(code)
}
