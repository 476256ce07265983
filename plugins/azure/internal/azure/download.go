package azure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/pageblob"

	"github.com/hypersdk/hypersdk/plugins/azure/internal/vhd"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// defaultRangeSegment is how much of a blob one Get Page Ranges call covers: Azure answers a
// fragmented multi-terabyte blob's full listing slowly or not at all, so it is asked in parts.
const defaultRangeSegment = 1 << 30

// errGrantGone is a SAS the blob service no longer honours (403: expired; 404: revoked).
var errGrantGone = errors.New("the read grant's SAS is no longer honoured")

// blobSource is the page blob a grant serves, as a download reads it.
type blobSource struct {
	pb       *pageblob.Client
	size     int64 // the blob's size, footer included
	dataSize int64 // the disk's size: what is written to the file
}

// diskAudience is the audience of the bearer token that reads the SAS of a disk with Entra ID
// data access (dataAccessAuthMode AzureActiveDirectory).
const diskAudience = "https://disk.azure.com"

// openBlob opens the grant's page blob and, for a VHD, checks the footer that ends it and
// leaves it out of dataSize: the file written is the raw disk. A VHDX is checked by its
// signature and written whole. entra, when not nil, is the credential whose token goes with
// every read: the disk wants Entra ID data access.
func openBlob(ctx context.Context, sasURL string, retries int, isVHD bool, entra azcore.TokenCredential) (*blobSource, error) {
	opts := &pageblob.ClientOptions{ClientOptions: policy.ClientOptions{Retry: retryOptions(retries)}}
	var pb *pageblob.Client
	var err error
	if entra == nil {
		pb, err = pageblob.NewClientWithNoCredential(sasURL, opts)
	} else {
		u, perr := url.Parse(sasURL)
		if perr != nil {
			return nil, fmt.Errorf("open the granted blob: %w", perr)
		}
		opts.Audience = diskAudience
		// Azure's SAS hosts are https; a stand-in's on loopback may be plain http.
		opts.InsecureAllowCredentialWithHTTP = u.Scheme == "http" && loopback(u.Hostname())
		pb, err = pageblob.NewClient(sasURL, entra, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("open the granted blob: %w", err)
	}
	props, err := pb.GetProperties(ctx, nil)
	var re *azcore.ResponseError
	if entra != nil && errors.As(err, &re) && re.StatusCode == http.StatusForbidden {
		return nil, fmt.Errorf("%w: read the granted blob: Azure answered 403 %s: the disk wants Entra ID data access (dataAccessAuthMode AzureActiveDirectory) and the credential's principal lacks the Data Operator for Managed Disks role on it",
			provider.ErrAuth, re.ErrorCode)
	}
	if err != nil {
		return nil, blobError("read the granted blob's properties", err)
	}
	src := &blobSource{pb: pb, size: deref(props.ContentLength)}
	src.dataSize = src.size
	if !isVHD {
		// A VHDX (a disk of 4096-byte sectors) is written as it is; the host converts it.
		if src.size < int64(len(vhd.VHDXSignature)) {
			return nil, fmt.Errorf("granted blob of %d bytes is too small to be a VHDX", src.size)
		}
		head, err := src.read(ctx, span{0, int64(len(vhd.VHDXSignature))}, make([]byte, len(vhd.VHDXSignature)))
		if err != nil {
			return nil, err
		}
		if !vhd.IsVHDX(head) {
			return nil, fmt.Errorf("the granted blob does not open with the VHDX signature %q: Azure served another format than the VHDX asked for", vhd.VHDXSignature)
		}
		return src, nil
	}
	if src.size < vhd.FooterSize {
		return nil, fmt.Errorf("granted blob of %d bytes is too small to be a VHD", src.size)
	}
	raw, err := src.read(ctx, span{src.size - vhd.FooterSize, src.size}, make([]byte, vhd.FooterSize))
	if err != nil {
		return nil, err
	}
	f, err := vhd.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("the granted blob does not end in a VHD footer: %w", err)
	}
	if f.DiskType != vhd.TypeFixed || f.CurrentSize != src.size-vhd.FooterSize {
		return nil, fmt.Errorf("the granted blob's VHD footer says a type %d disk of %d bytes; a fixed disk of %d bytes was expected",
			f.DiskType, f.CurrentSize, src.size-vhd.FooterSize)
	}
	src.dataSize = f.CurrentSize
	return src, nil
}

// allocated lists the blob's page ranges below dataSize, segment bytes at a time.
func (b *blobSource) allocated(ctx context.Context, segment int64) ([]span, error) {
	var out []span
	for seg := int64(0); seg < b.dataSize; seg += segment {
		n := min(segment, b.dataSize-seg)
		pager := b.pb.NewGetPageRangesPager(&pageblob.GetPageRangesOptions{Range: blob.HTTPRange{Offset: seg, Count: n}})
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				return nil, blobError("list the blob's page ranges", err)
			}
			for _, r := range page.PageRange {
				if r == nil || r.Start == nil || r.End == nil {
					continue
				}
				s := span{max(*r.Start, seg), min(*r.End+1, seg+n)} // End is inclusive
				if s.len() > 0 {
					out = append(out, s)
				}
			}
		}
	}
	return merge(out), nil
}

// read reads one range of the blob into buf.
func (b *blobSource) read(ctx context.Context, s span, buf []byte) ([]byte, error) {
	resp, err := b.pb.DownloadStream(ctx, &blob.DownloadStreamOptions{Range: blob.HTTPRange{Offset: s.Off, Count: s.len()}})
	if err != nil {
		return nil, blobError(fmt.Sprintf("read bytes %d-%d", s.Off, s.End-1), err)
	}
	defer resp.Body.Close()
	buf = buf[:s.len()]
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		return nil, fmt.Errorf("read bytes %d-%d: %w", s.Off, s.End-1, err)
	}
	return buf, nil
}

// blobError marks a SAS the service refuses (errGrantGone) so the export grants it again.
func blobError(what string, err error) error {
	var re *azcore.ResponseError
	if errors.As(err, &re) && (re.StatusCode == http.StatusForbidden || re.StatusCode == http.StatusNotFound) {
		return fmt.Errorf("%s: %w (%d %s)", what, errGrantGone, re.StatusCode, re.ErrorCode)
	}
	return armError(what, err)
}

// fetch downloads the chunks into f with workers reads in flight. Each chunk written is marked
// in done; a chunk of zeros is not written (the file stays sparse there). progress is called
// with the bytes written so far. The first error stops the rest.
func fetch(ctx context.Context, src *blobSource, f *os.File, todo []span, workers int, done func(i int, n int64)) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	var maxLen int64
	for _, c := range todo {
		maxLen = max(maxLen, c.len())
	}
	for w := 0; w < min(workers, len(todo)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, maxLen)
			for i := range next {
				data, err := src.read(ctx, todo[i], buf)
				if err == nil && !zero(data) {
					if _, werr := f.WriteAt(data, todo[i].Off); werr != nil {
						err = fmt.Errorf("write bytes %d-%d: %w", todo[i].Off, todo[i].End-1, werr)
					}
				}
				if err != nil {
					cancel(err)
					continue
				}
				done(i, todo[i].len())
			}
		}()
	}
feed:
	for i := range todo {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

func zero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
