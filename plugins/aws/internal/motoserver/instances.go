package motoserver

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Instance says what instance to make.
type Instance struct {
	Name       string
	Tags       map[string]string
	Type       string  // default t3.micro
	VolumesGiB []int32 // root first; default one volume of 1 GiB
	Stopped    bool
	Zone       string // default us-east-1a
}

// Made is an instance made in the emulator, with its volume ids in the order asked.
type Made struct {
	ID      string
	Volumes []string
}

// Run makes the instances (RunInstances) and fails the test if it cannot.
func (s *Server) Run(t testing.TB, specs ...Instance) []Made {
	t.Helper()
	made, err := s.RunInstances(Context(t), specs...)
	if err != nil {
		t.Fatal(err)
	}
	return made
}

// RunInstances makes the instances (one RunInstances each) and returns them in order.
func (s *Server) RunInstances(ctx context.Context, specs ...Instance) ([]Made, error) {
	img, err := s.EC2.RegisterImage(ctx, &ec2.RegisterImageInput{Name: aws.String("hypersdk-test"), RootDeviceName: aws.String("/dev/xvda"),
		Architecture: types.ArchitectureValuesX8664, BootMode: types.BootModeValuesUefi,
		BlockDeviceMappings: []types.BlockDeviceMapping{{DeviceName: aws.String("/dev/xvda"), Ebs: &types.EbsBlockDevice{VolumeSize: aws.Int32(1)}}}})
	if err != nil {
		return nil, fmt.Errorf("register an image in moto: %w", err)
	}
	var out []Made
	for _, sp := range specs {
		if len(sp.VolumesGiB) == 0 {
			sp.VolumesGiB = []int32{1}
		}
		if sp.Type == "" {
			sp.Type = "t3.micro"
		}
		if sp.Zone == "" {
			sp.Zone = Region + "a"
		}
		var maps []types.BlockDeviceMapping
		for i, size := range sp.VolumesGiB {
			dev := "/dev/xvda"
			if i > 0 {
				dev = fmt.Sprintf("/dev/sd%c", 'b'+i-1)
			}
			maps = append(maps, types.BlockDeviceMapping{DeviceName: aws.String(dev), Ebs: &types.EbsBlockDevice{VolumeSize: aws.Int32(size)}})
		}
		tags := []types.Tag{{Key: aws.String("Name"), Value: aws.String(sp.Name)}}
		for k, v := range sp.Tags {
			tags = append(tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		run, err := s.EC2.RunInstances(ctx, &ec2.RunInstancesInput{
			ImageId: img.ImageId, MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
			InstanceType: types.InstanceType(sp.Type), BlockDeviceMappings: maps,
			Placement:         &types.Placement{AvailabilityZone: aws.String(sp.Zone)},
			TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: tags}},
		})
		if err != nil {
			return nil, fmt.Errorf("run instance %s: %w", sp.Name, err)
		}
		in := run.Instances[0]
		m := Made{ID: aws.ToString(in.InstanceId)}
		byDev := map[string]string{}
		for _, b := range in.BlockDeviceMappings {
			if b.Ebs != nil {
				byDev[aws.ToString(b.DeviceName)] = aws.ToString(b.Ebs.VolumeId)
			}
		}
		for _, bm := range maps {
			m.Volumes = append(m.Volumes, byDev[aws.ToString(bm.DeviceName)])
		}
		if sp.Stopped {
			if _, err := s.EC2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{m.ID}}); err != nil {
				return nil, fmt.Errorf("stop instance %s: %w", sp.Name, err)
			}
		}
		out = append(out, m)
	}
	return out, nil
}
