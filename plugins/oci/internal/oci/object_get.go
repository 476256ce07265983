package oci

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// getRange reads bytes [off, off+n) of an object with one signed GET (Range, If-Match etag).
// It does not go through the SDK's GetObject: the SDK runs every call in a goroutine of its
// retrier and, when the context is cancelled, returns while that goroutine still writes the
// response, whose body nobody closes (a data race and a leaked connection per cancelled
// read). The request is signed by the SDK's own signer, as GetObject would sign it.
func (c *clients) getRange(ctx context.Context, ns, bucket, object, etag string, off, n int64) (io.ReadCloser, error) {
	u := strings.TrimSuffix(c.objects.Host, "/") + "/n/" + url.PathEscape(ns) + "/b/" + url.PathEscape(bucket) + "/o/" + url.PathEscape(object)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", object, err)
	}
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+n-1))
	if etag != "" {
		req.Header.Set("If-Match", etag)
	}
	if err := c.signer.Sign(req); err != nil {
		return nil, fmt.Errorf("sign the GET of %s: %w", object, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusPartialContent || (resp.StatusCode == http.StatusOK && off == 0) {
		return resp.Body, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	err = &statusError{code: resp.StatusCode, body: strings.TrimSpace(string(body))}
	switch resp.StatusCode {
	case http.StatusNotFound, http.StatusPreconditionFailed, http.StatusRequestedRangeNotSatisfiable:
		return nil, fmt.Errorf("%w: %w", ErrObjectChanged, err)
	case http.StatusOK:
		return nil, fmt.Errorf("GET %s bytes %d-: the server ignored the Range", object, off)
	}
	return nil, apiError(err, "GET %s bytes %d-%d", object, off, off+n-1)
}
