package oci

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/common/auth"
	"github.com/oracle/oci-go-sdk/v65/core"
	"github.com/oracle/oci-go-sdk/v65/identity"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"
	"github.com/oracle/oci-go-sdk/v65/workrequests"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// clients are the SDK clients one configuration uses. Every one sends through httpClient,
// which has no whole-request timeout: the SDK's default of 60 s covers reading the body, and a
// ranged GET of 64 MiB over a slow link would die in it (CLOUDS.md §6).
type clients struct {
	compute   core.ComputeClient
	blocks    core.BlockstorageClient
	network   core.VirtualNetworkClient
	identity  identity.IdentityClient
	work      workrequests.WorkRequestClient
	objects   objectstorage.ObjectStorageClient
	configKey string // tenancy/region, what a hold's Data must match
	// http and signer send the ranged GETs of a download themselves (object_get.go).
	http   *http.Client
	signer common.HTTPRequestSigner
}

// httpClient dials and waits for response headers with timeouts but never cuts a body
// being read; a cancelled context still ends any request.
func httpClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}}
}

// retryPolicy retries throttling and server errors a few times with backoff; everything
// else (401, 404, 409) is an answer. The SDK's circuit breaker is off: a provider that
// fails one export must not refuse the next on its own.
func retryPolicy() common.RetryPolicy {
	return common.NewRetryPolicy(4, func(r common.OCIOperationResponse) bool {
		if r.Error == nil {
			return false
		}
		if se, ok := common.IsServiceError(r.Error); ok {
			code := se.GetHTTPStatusCode()
			return code == http.StatusTooManyRequests || code >= 500
		}
		return r.Response == nil || r.Response.HTTPResponse() == nil // a network error
	}, func(r common.OCIOperationResponse) time.Duration {
		return time.Duration(1<<min(r.AttemptNumber, 5)) * 100 * time.Millisecond
	})
}

// configurationProvider is the SDK's signer source for the settings.
func configurationProvider(s Settings) (common.ConfigurationProvider, error) {
	if s.Auth == AuthInstancePrincipal {
		cp, err := auth.InstancePrincipalConfigurationProvider()
		if err != nil {
			return nil, fmt.Errorf("%w: providers.oci.auth: instance principal: %v", provider.ErrAuth, err)
		}
		return cp, nil
	}
	var pass *string
	if s.PrivateKeyPassphrase != "" {
		pass = &s.PrivateKeyPassphrase
	}
	cp := common.NewRawConfigurationProvider(s.Tenancy, s.User, s.Region, s.Fingerprint, s.PrivateKey, pass)
	if _, err := cp.PrivateRSAKey(); err != nil {
		return nil, fmt.Errorf("%w: providers.oci.private_key: cannot read the key: %v", provider.ErrInvalidArgument, err)
	}
	return cp, nil
}

// newClients makes the clients, pointed at the configured endpoints when set.
func newClients(s Settings) (*clients, error) {
	cp, err := configurationProvider(s)
	if err != nil {
		return nil, err
	}
	c := &clients{configKey: s.Tenancy + "/" + s.Region}
	if c.compute, err = core.NewComputeClientWithConfigurationProvider(cp); err != nil {
		return nil, fmt.Errorf("oci: compute client: %w", err)
	}
	if c.blocks, err = core.NewBlockstorageClientWithConfigurationProvider(cp); err != nil {
		return nil, fmt.Errorf("oci: block storage client: %w", err)
	}
	if c.network, err = core.NewVirtualNetworkClientWithConfigurationProvider(cp); err != nil {
		return nil, fmt.Errorf("oci: virtual network client: %w", err)
	}
	if c.identity, err = identity.NewIdentityClientWithConfigurationProvider(cp); err != nil {
		return nil, fmt.Errorf("oci: identity client: %w", err)
	}
	if c.work, err = workrequests.NewWorkRequestClientWithConfigurationProvider(cp); err != nil {
		return nil, fmt.Errorf("oci: work request client: %w", err)
	}
	if c.objects, err = objectstorage.NewObjectStorageClientWithConfigurationProvider(cp); err != nil {
		return nil, fmt.Errorf("oci: object storage client: %w", err)
	}
	hc := httpClient()
	c.http, c.signer = hc, common.DefaultRequestSigner(cp)
	policy := retryPolicy()
	for _, b := range []struct {
		base *common.BaseClient
		host string
	}{
		{&c.compute.BaseClient, s.Endpoint}, {&c.blocks.BaseClient, s.Endpoint}, {&c.network.BaseClient, s.Endpoint},
		{&c.identity.BaseClient, s.Endpoint}, {&c.work.BaseClient, s.Endpoint}, {&c.objects.BaseClient, s.ObjectStorageEndpoint},
	} {
		if b.host != "" {
			b.base.Host = b.host
		}
		b.base.HTTPClient = hc
		b.base.Configuration.CircuitBreaker = nil
		b.base.Configuration.RetryPolicy = &policy
	}
	return c, nil
}
