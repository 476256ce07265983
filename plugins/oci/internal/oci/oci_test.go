package oci

import (
	"context"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/oci/internal/ocifake"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

const (
	appsCompartment = "ocid1.compartment.oc1..apps"
	dataCompartment = "ocid1.compartment.oc1..data"
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

// ids are the OCIDs of startCloud's instances.
type ids struct{ web, db, worker string }

// startCloud serves three instances in two compartments: web-1 (running, UEFI with Secure
// Boot, two VNICs, an attached block volume, tags), db-1 (stopped, another AD) and worker-1
// (running, no volumes, launched from a custom-image-friendly platform image).
func startCloud(t *testing.T) (*ocifake.Cloud, ids) {
	t.Helper()
	c := ocifake.Start(t)
	c.AddCompartment(dataCompartment, "data")
	c.AddSourceImage(ocifake.SourceImage{ID: "ocid1.image.oc1.iad.ol9", Name: "Oracle-Linux-9", OS: "Oracle Linux", Version: "9", CreateImageAllowed: true})
	var x ids
	x.web = c.AddInstance(ocifake.Instance{Name: "web-1", SecureBoot: true, OCPUs: 2, MemoryGB: 32, SourceImage: "ocid1.image.oc1.iad.ol9",
		FreeformTags: map[string]string{"env": "prod"}, DefinedTags: map[string]map[string]any{"ops": {"team": "web"}},
		Boot: diskBytes(4, 3), BootGB: 47, Volumes: []ocifake.Volume{{Name: "web-1-data", GB: 100}},
		VNICs: []ocifake.VNIC{{Name: "primary", MAC: "02:00:17:AA:BB:01", Subnet: "ocid1.subnet.oc1.iad.web"}, {Name: "backend", MAC: "02:00:17:AA:BB:02", Subnet: "ocid1.subnet.oc1.iad.backend"}}})
	x.db = c.AddInstance(ocifake.Instance{Name: "db-1", State: "STOPPED", Compartment: dataCompartment, AD: "Uocm:US-ASHBURN-AD-2",
		FreeformTags: map[string]string{"env": "dev"}, Boot: diskBytes(2, 5)})
	x.worker = c.AddInstance(ocifake.Instance{Name: "worker-1", SourceImage: "ocid1.image.oc1.iad.ol9", Boot: diskBytes(6, 9),
		VNICs: []ocifake.VNIC{{Name: "primary", MAC: "02:00:17:00:00:09", Subnet: "ocid1.subnet.oc1.iad.web"}}})
	return c, x
}

// settingsWith is c's settings with extra on top.
func settingsWith(c *ocifake.Cloud, extra map[string]any) map[string]any {
	s := c.Settings()
	for k, v := range extra {
		s[k] = v
	}
	return s
}

// configured is a provider configured against c, with extra settings on top.
func configured(t *testing.T, c *ocifake.Cloud, extra map[string]any) *Provider {
	t.Helper()
	p := New()
	if err := configure(p, settingsWith(c, extra)); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return p
}

// configure configures p with settings.
func configure(p *Provider, settings map[string]any) error {
	cfg, err := provider.NewConfig(settings)
	if err != nil {
		return err
	}
	return p.Configure(context.Background(), cfg)
}

// exists says whether what a hold names is still there, asking the stand-in.
func exists(c *ocifake.Cloud) func(provider.Hold) (bool, error) {
	return func(h provider.Hold) (bool, error) {
		d, err := decodeHoldData(h)
		if err != nil {
			return false, err
		}
		switch h.Kind {
		case provider.HoldImage:
			return c.HasImageNamed(d.Name), nil
		case provider.HoldObject:
			return c.HasObject(d.Bucket, d.Object), nil
		case provider.HoldGrant:
			return c.HasPARNamed(d.Name), nil
		}
		return false, nil
	}
}
