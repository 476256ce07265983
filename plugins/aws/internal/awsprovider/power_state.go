package awsprovider

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// listedStates are the instance states a listing shows: a terminated instance (or one being
// terminated) has no volumes left to export.
var listedStates = []string{"pending", "running", "stopping", "stopped"}

// powerState maps an EC2 instance state to the seed's power states: pending and running are
// on; stopping and stopped are off. EC2 has no suspended state (a hibernated instance is
// stopped).
func powerState(s types.InstanceStateName) string {
	switch s {
	case types.InstanceStateNamePending, types.InstanceStateNameRunning:
		return provider.PowerOn
	}
	return provider.PowerOff
}

// statesFor is the instance-state-name filter values of a power-state filter, or nil for a
// power state no EC2 instance is ever in (suspended).
func statesFor(power string) ([]string, error) {
	switch power {
	case "":
		return listedStates, nil
	case provider.PowerOn:
		return []string{"pending", "running"}, nil
	case provider.PowerOff:
		return []string{"stopping", "stopped"}, nil
	case provider.PowerSuspended:
		return nil, nil
	}
	return nil, fmt.Errorf("%w: filter status %q is not %s, %s or %s", provider.ErrInvalidArgument, power, provider.PowerOn, provider.PowerOff, provider.PowerSuspended)
}
