package awsprovider

import "github.com/aws/aws-sdk-go-v2/service/ec2/types"

func typesState(s string) types.InstanceStateName { return types.InstanceStateName(s) }
