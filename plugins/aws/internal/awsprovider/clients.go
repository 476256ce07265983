package awsprovider

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ebs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// regionClients are the SDK clients of one region.
type regionClients struct {
	region string
	ec2    *ec2.Client
	ebs    *ebs.Client
}

// loadConfig builds the SDK configuration of one region from the settings: explicit keys, a
// profile or the default chain, then an assumed role on top. Credentials are resolved lazily,
// on the first request, and never logged.
func loadConfig(ctx context.Context, s Settings, region string, tm timing) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(region),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = s.MaxAttempts
				o.MaxBackoff = tm.backoff
				// Throttling is expected when many workers read one snapshot: wait and try
				// again instead of spending the client-wide retry budget on it.
				o.RateLimiter = ratelimit.None
			})
		}),
		// One attempt of one request may take request_timeout; a block read that hangs (as
		// they do from outside AWS) is cut and retried instead of stalling a worker forever.
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(tm.request)),
	}
	if s.AccessKeyID != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(s.AccessKeyID, s.SecretAccessKey, s.SessionToken)))
	}
	if s.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(s.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration for region %s: %w", region, err)
	}
	if s.AssumeRoleARN != "" {
		stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) {
			if s.STSEndpoint != "" {
				o.BaseEndpoint = aws.String(s.STSEndpoint)
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, s.AssumeRoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "hypersdk"
			if s.ExternalID != "" {
				o.ExternalID = aws.String(s.ExternalID)
			}
		}))
	}
	return cfg, nil
}

// newRegionClients makes the EC2 and EBS direct clients of one region.
func newRegionClients(ctx context.Context, s Settings, region string, tm timing) (*regionClients, error) {
	cfg, err := loadConfig(ctx, s, region, tm)
	if err != nil {
		return nil, err
	}
	return &regionClients{
		region: region,
		ec2: ec2.NewFromConfig(cfg, func(o *ec2.Options) {
			if s.EC2Endpoint != "" {
				o.BaseEndpoint = aws.String(s.EC2Endpoint)
			}
		}),
		ebs: ebs.NewFromConfig(cfg, func(o *ebs.Options) {
			if s.EBSEndpoint != "" {
				o.BaseEndpoint = aws.String(s.EBSEndpoint)
			}
		}),
	}, nil
}
