package gcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"time"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// buildRoles are the roles the image-export build's service account needs: the builder starts
// a worker VM, attaches a disk made from the image and writes the result to the bucket.
const buildRoles = "roles/compute.admin, roles/iam.serviceAccountUser and roles/iam.serviceAccountTokenCreator (and storage write on the staging bucket)"

// exportBuild is the image-export build of one disk: its request and where it writes.
type exportBuild struct {
	tag       string
	object    string // object name in the staging bucket
	logPrefix string // logs bucket path under the staging bucket, without gs://bucket/
}

// logObject is where Cloud Build writes the log of build id: log-<id>.txt under the logs bucket.
func (b exportBuild) logObject(id string) string { return path.Join(b.logPrefix, "log-"+id+".txt") }

// request is the Cloud Build build running the image-export builder on image, writing format
// ("" for the builder's default, a tar.gz holding disk.raw) to the staging bucket. It is what
// gcloud compute images export submits, with the network, service accounts and timeout of s.
func (b exportBuild) request(s Settings, t timing, zone, image, format string) *cloudbuildpb.Build {
	args := []string{
		"-source_image=projects/" + s.Project + "/global/images/" + image,
		"-destination_uri=gs://" + s.StagingBucket + "/" + b.object,
		"-client_id=api",
		"-timeout=" + t.buildTimeout.String(),
		"-zone=" + zone,
	}
	if format != "" {
		args = append(args, "-format="+format)
	}
	if s.Network != "" {
		args = append(args, "-network="+s.Network)
	}
	if s.Subnet != "" {
		args = append(args, "-subnet="+s.Subnet)
	}
	if s.NoExternalIP {
		args = append(args, "-no_external_ip")
	}
	if s.ComputeServiceAccount != "" {
		args = append(args, "-compute_service_account="+s.ComputeServiceAccount)
	}
	build := &cloudbuildpb.Build{
		Steps:   []*cloudbuildpb.BuildStep{{Name: s.BuilderImage, Args: args, Env: []string{"BUILD_ID=$BUILD_ID"}}},
		Timeout: durationpb.New(t.buildTimeout + 10*time.Minute), // the builder's own -timeout ends first, with its message
		Tags:    []string{"gce-daisy", "gce-daisy-image-export", b.tag},
		// A build running as a chosen service account must say where its logs go; the staging
		// bucket is where the last log line of a failure is read back from.
		LogsBucket: "gs://" + s.StagingBucket + "/" + b.logPrefix,
		Options:    &cloudbuildpb.BuildOptions{Logging: cloudbuildpb.BuildOptions_GCS_ONLY},
	}
	if s.BuildServiceAccount != "" {
		build.ServiceAccount = "projects/" + s.Project + "/serviceAccounts/" + s.BuildServiceAccount
	}
	return build
}

// createBuildError explains a refused CreateBuild: who lacks what, or which API is off.
func createBuildError(err error, project string) error {
	msg := err.Error()
	switch code := httpCode(err); {
	case code == http.StatusForbidden && (strings.Contains(msg, "SERVICE_DISABLED") || strings.Contains(msg, "has not been used") || strings.Contains(msg, "is disabled")):
		return apiError(err, "create the image export build: the Cloud Build API is not enabled in project %s (gcloud services enable cloudbuild.googleapis.com)", project)
	case code == http.StatusForbidden:
		return apiError(err, "create the image export build: PERMISSION_DENIED: the provider's credentials need roles/cloudbuild.builds.editor in project %s", project)
	}
	return apiError(err, "create the image export build in project %s", project)
}

// buildFailure explains a build that ended other than SUCCESS, with the last line of its log
// (lastLine, "" when there is none).
func buildFailure(b *cloudbuildpb.Build, timeout time.Duration, lastLine string) error {
	id := b.GetId()
	detail := b.GetFailureInfo().GetDetail()
	if detail == "" {
		detail = b.GetStatusDetail()
	}
	tail := ""
	if lastLine != "" {
		tail = "; last log line: " + lastLine
	}
	switch b.GetStatus() {
	case cloudbuildpb.Build_TIMEOUT:
		return fmt.Errorf("image export build %s: TIMEOUT: it ran past providers.gcp.build_timeout (%s)%s", id, timeout, tail)
	case cloudbuildpb.Build_FAILURE:
		low := strings.ToLower(lastLine + " " + detail)
		if strings.Contains(low, "permission") || strings.Contains(low, "forbidden") || strings.Contains(low, "403") {
			return fmt.Errorf("image export build %s: FAILURE: %w: the build's service account needs %s: %s%s", id, provider.ErrAuth, buildRoles, detail, tail)
		}
		return fmt.Errorf("image export build %s: FAILURE: %s%s", id, detail, tail)
	case cloudbuildpb.Build_INTERNAL_ERROR, cloudbuildpb.Build_EXPIRED:
		return fmt.Errorf("image export build %s: %s: %w: %s%s", id, b.GetStatus(), provider.ErrUnavailable, detail, tail)
	}
	return fmt.Errorf("image export build %s ended %s: %s%s", id, b.GetStatus(), detail, tail)
}

// buildRunning says whether a build status is not final.
func buildRunning(st cloudbuildpb.Build_Status) bool {
	switch st {
	case cloudbuildpb.Build_STATUS_UNKNOWN, cloudbuildpb.Build_PENDING, cloudbuildpb.Build_QUEUED, cloudbuildpb.Build_WORKING:
		return true
	}
	return false
}

// lastLogLine is the last non-empty line of a build's log object, or "" if it cannot be read.
func (p *Provider) lastLogLine(ctx context.Context, c *clients, bucket, object string) string {
	obj := c.storage.Bucket(bucket).Object(object)
	attrs, err := obj.Attrs(ctx)
	if err != nil {
		return ""
	}
	const tail = 16 << 10
	off := max(attrs.Size-tail, 0)
	rd, err := obj.NewRangeReader(ctx, off, attrs.Size-off)
	if err != nil {
		return ""
	}
	defer rd.Close()
	b, err := io.ReadAll(rd)
	if err != nil && !errors.Is(err, io.EOF) {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\r\n \t"), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
