package gcp

import (
	"context"
	"errors"
	"fmt"

	cloudbuild "cloud.google.com/go/cloudbuild/apiv1/v2"
	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/storage"
	"google.golang.org/api/option"
)

// clients are the REST clients of one configuration. Only REST clients are used (no gRPC), so
// every control-plane call can be pointed at a stand-in speaking the documented wire format.
type clients struct {
	instances    *compute.InstancesClient
	machineTypes *compute.MachineTypesClient
	disks        *compute.DisksClient
	snapshots    *compute.SnapshotsClient
	images       *compute.ImagesClient
	build        *cloudbuild.Client
	storage      *storage.Client
}

// authOptions are the credential options of s: none (anonymous), a key file, key JSON, or
// nothing added so the libraries find application default credentials.
func (s Settings) authOptions() []option.ClientOption {
	switch {
	case s.Anonymous:
		return []option.ClientOption{option.WithoutAuthentication()}
	case s.CredentialsFile != "":
		return []option.ClientOption{option.WithAuthCredentialsFile(option.ServiceAccount, s.CredentialsFile)}
	case s.CredentialsJSON != "":
		return []option.ClientOption{option.WithAuthCredentialsJSON(option.ServiceAccount, []byte(s.CredentialsJSON))}
	}
	return nil
}

func withEndpoint(opts []option.ClientOption, endpoint string) []option.ClientOption {
	out := append([]option.ClientOption(nil), opts...)
	if endpoint != "" {
		out = append(out, option.WithEndpoint(endpoint))
	}
	return out
}

// newClients makes every client of s. Nothing is dialled yet: a bad credential shows on the
// first call, which Configure makes.
func newClients(ctx context.Context, s Settings) (*clients, error) {
	auth := s.authOptions()
	c := &clients{}
	var err error
	ce := withEndpoint(auth, s.ComputeEndpoint)
	if c.instances, err = compute.NewInstancesRESTClient(ctx, ce...); err != nil {
		return nil, fmt.Errorf("compute instances client: %w", err)
	}
	steps := []func() error{
		func() (e error) { c.machineTypes, e = compute.NewMachineTypesRESTClient(ctx, ce...); return e },
		func() (e error) { c.disks, e = compute.NewDisksRESTClient(ctx, ce...); return e },
		func() (e error) { c.snapshots, e = compute.NewSnapshotsRESTClient(ctx, ce...); return e },
		func() (e error) { c.images, e = compute.NewImagesRESTClient(ctx, ce...); return e },
		func() (e error) {
			c.build, e = cloudbuild.NewRESTClient(ctx, withEndpoint(auth, s.CloudBuildEndpoint)...)
			return e
		},
		func() (e error) {
			c.storage, e = storage.NewClient(ctx, withEndpoint(auth, s.StorageEndpoint)...)
			return e
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			c.close()
			return nil, fmt.Errorf("create Google Cloud client: %w", err)
		}
	}
	return c, nil
}

func (c *clients) close() error {
	if c == nil {
		return nil
	}
	var errs []error
	for _, cl := range []interface{ Close() error }{c.instances, c.machineTypes, c.disks, c.snapshots, c.images, c.build, c.storage} {
		if cl != nil && !isNilClient(cl) {
			errs = append(errs, cl.Close())
		}
	}
	return errors.Join(errs...)
}

// isNilClient catches a typed nil pointer inside the interface (a client never made).
func isNilClient(cl interface{ Close() error }) bool {
	switch v := cl.(type) {
	case *compute.MachineTypesClient:
		return v == nil
	case *compute.DisksClient:
		return v == nil
	case *compute.SnapshotsClient:
		return v == nil
	case *compute.ImagesClient:
		return v == nil
	case *cloudbuild.Client:
		return v == nil
	case *storage.Client:
		return v == nil
	case *compute.InstancesClient:
		return v == nil
	}
	return false
}
