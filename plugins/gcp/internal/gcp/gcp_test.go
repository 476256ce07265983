package gcp

import (
	"context"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/gcp/internal/gcpfake"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

const (
	project = "hypersdk-test"
	bucket  = "hypersdk-staging"
	zoneA   = "us-central1-a"
)

// diskBytes is a disk of n MiB whose odd MiBs hold a pattern seeded by seed and whose even
// MiBs are zeros: data and holes, as a real disk has.
func diskBytes(n int, seed byte) []byte {
	b := make([]byte, n<<20)
	for mib := 1; mib < n; mib += 2 {
		for i := mib << 20; i < (mib+1)<<20; i++ {
			b[i] = seed + byte(i*7/5)
		}
	}
	return b
}

// startCloud serves three instances: web-1 (running, two disks, labels), db-1 (stopped, in
// another region) and tiny-1 (a custom machine type).
func startCloud(t *testing.T) *gcpfake.Cloud {
	t.Helper()
	c := gcpfake.Start(t, project, bucket)
	c.AddInstance(gcpfake.Instance{Zone: zoneA, Name: "web-1", Labels: map[string]string{"env": "prod", "team": "web"}, SecureBoot: true,
		Disks: []gcpfake.Disk{{Name: "web-1-data", SizeGB: 1, Content: diskBytes(3, 11)}, {Name: "web-1", Boot: true, SizeGB: 10, Content: diskBytes(4, 3)}}})
	c.AddInstance(gcpfake.Instance{Zone: "europe-west1-b", Name: "db-1", Status: "TERMINATED", MachineType: "e2-small", Labels: map[string]string{"env": "dev"},
		Disks: []gcpfake.Disk{{Name: "db-1", Boot: true, SizeGB: 10, Content: diskBytes(2, 5)}}})
	c.AddInstance(gcpfake.Instance{Zone: "us-central1-b", Name: "tiny-1", MachineType: "custom-2-4096",
		Disks: []gcpfake.Disk{{Name: "tiny-1", Boot: true, SizeGB: 10, Content: diskBytes(2, 9)}}})
	return c
}

// configured is a provider configured against c, with extra settings on top.
func configured(t *testing.T, c *gcpfake.Cloud, extra map[string]any) *Provider {
	t.Helper()
	settings := c.Settings()
	for k, v := range extra {
		settings[k] = v
	}
	cfg, err := provider.NewConfig(settings)
	if err != nil {
		t.Fatal(err)
	}
	p := New()
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// exists says whether what a hold names is still there, asking the stand-in and fake-gcs-server.
func exists(c *gcpfake.Cloud) func(provider.Hold) (bool, error) {
	return func(h provider.Hold) (bool, error) {
		switch h.Kind {
		case provider.HoldObject:
			d, err := decodeHoldData(h)
			if err != nil {
				return false, err
			}
			_, err = c.GCS.GetObject(d.Bucket, d.Object)
			return err == nil, nil
		case provider.HoldPower:
			zone, name, _ := splitID(h.ID)
			return c.Status(zone, name) == "TERMINATED", nil
		}
		return c.Has(h.Kind, h.ID), nil
	}
}
