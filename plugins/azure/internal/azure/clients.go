package azure

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

var clouds = map[string]cloud.Configuration{
	"public":     cloud.AzurePublic,
	"government": cloud.AzureGovernment,
	"china":      cloud.AzureChina,
}

// clients are the Resource Manager clients of one configured provider.
type clients struct {
	vms       *armcompute.VirtualMachinesClient
	disks     *armcompute.DisksClient
	snapshots *armcompute.SnapshotsClient
	sizes     *armcompute.VirtualMachineSizesClient
	// arm is a bare Resource Manager client for the one network call (a NIC's MAC and subnet),
	// so the plugin does not carry the whole network module for it.
	arm  *arm.Client
	opts *arm.ClientOptions
	// cred also reads the grant blobs of disks that want Entra ID data access.
	cred azcore.TokenCredential
}

func newClients(s Settings, t tuned) (*clients, error) {
	cred, err := credential(s)
	if err != nil {
		return nil, err
	}
	cfg := clouds[s.Cloud]
	opts := &arm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud:     cfg,
		Retry:     retryOptions(s.MaxRetries),
		Telemetry: policy.TelemetryOptions{ApplicationID: "hypersdk-azure/" + Version},
	}}
	if t.endpoint != nil {
		services := map[cloud.ServiceName]cloud.ServiceConfiguration{}
		for k, v := range cfg.Services {
			services[k] = v
		}
		rm := services[cloud.ResourceManager]
		rm.Endpoint = t.endpoint.String()
		services[cloud.ResourceManager] = rm
		opts.Cloud = cloud.Configuration{ActiveDirectoryAuthorityHost: cfg.ActiveDirectoryAuthorityHost, Services: services}
		// validate allowed http for a loopback endpoint only.
		opts.InsecureAllowCredentialWithHTTP = t.endpoint.Scheme == "http"
		// A private endpoint has no resource provider registration to do.
		opts.DisableRPRegistration = true
	}
	return clientsFor(s.SubscriptionID, cred, opts)
}

// clientsFor builds the clients on a credential and pipeline options (tests give them
// armcompute's fake transport).
func clientsFor(subscription string, cred azcore.TokenCredential, opts *arm.ClientOptions) (*clients, error) {
	factory, err := armcompute.NewClientFactory(subscription, cred, opts)
	if err != nil {
		return nil, fmt.Errorf("azure clients: %w", err)
	}
	a, err := arm.NewClient("hypersdk-azure", "v"+Version, cred, opts)
	if err != nil {
		return nil, fmt.Errorf("azure clients: %w", err)
	}
	return &clients{vms: factory.NewVirtualMachinesClient(), disks: factory.NewDisksClient(), snapshots: factory.NewSnapshotsClient(),
		sizes: factory.NewVirtualMachineSizesClient(), arm: a, opts: opts, cred: cred}, nil
}

// retryOptions retries a throttled or failed call n times (max_retries). azcore reads 0 as its
// default of three, and a negative count as none: max_retries 0 must mean none.
func retryOptions(n int) policy.RetryOptions {
	r := int32(n)
	if r == 0 {
		r = -1
	}
	return policy.RetryOptions{MaxRetries: r, MaxRetryDelay: 2 * time.Minute}
}

// credential builds the configured credential. Secrets come from the settings (the daemon
// expands ${ENV} in them) and are never logged.
func credential(s Settings) (azcore.TokenCredential, error) {
	copts := azcore.ClientOptions{Cloud: clouds[s.Cloud]}
	var cred azcore.TokenCredential
	var err error
	switch s.Credential {
	case "client_secret":
		cred, err = azidentity.NewClientSecretCredential(s.TenantID, s.ClientID, s.ClientSecret, &azidentity.ClientSecretCredentialOptions{ClientOptions: copts})
	case "client_certificate":
		var data []byte
		if data, err = os.ReadFile(s.ClientCertificatePath); err != nil {
			return nil, fmt.Errorf("%w: providers.azure.client_certificate_path: %v", provider.ErrInvalidArgument, err)
		}
		certs, key, perr := azidentity.ParseCertificates(data, []byte(s.ClientCertificatePassword))
		if perr != nil {
			return nil, fmt.Errorf("%w: providers.azure.client_certificate_path %s: %v", provider.ErrInvalidArgument, s.ClientCertificatePath, perr)
		}
		cred, err = azidentity.NewClientCertificateCredential(s.TenantID, s.ClientID, certs, key, &azidentity.ClientCertificateCredentialOptions{ClientOptions: copts})
	case "access_token":
		cred = staticToken(s.AccessToken)
	default:
		opts := &azidentity.DefaultAzureCredentialOptions{ClientOptions: copts, TenantID: s.TenantID}
		cred, err = azidentity.NewDefaultAzureCredential(opts)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: providers.azure.credential %s: %v", provider.ErrAuth, s.Credential, err)
	}
	return cred, nil
}

// staticToken is a bearer token got elsewhere, handed out as it is until it expires.
type staticToken string

func (t staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(t), ExpiresOn: time.Now().Add(time.Hour)}, nil
}
