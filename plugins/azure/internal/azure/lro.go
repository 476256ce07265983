package azure

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// await polls a long-running operation until it ends, calling report with the percentage
// Azure's operation status gives (percentComplete; -1 when it names none) after each poll
// that leaves it running. It waits Retry-After between polls when Azure names one, else
// interval; a cancelled ctx stops it (the operation goes on in Azure: its hold covers it).
func await[T any](ctx context.Context, poller *runtime.Poller[T], interval time.Duration, report func(percent float64)) (T, error) {
	var zero T
	for !poller.Done() {
		resp, err := poller.Poll(ctx)
		if err != nil {
			return zero, err
		}
		if poller.Done() {
			break
		}
		report(percentComplete(resp))
		wait := interval
		if d, ok := retryAfter(resp); ok && d > 0 {
			wait = min(d, 5*time.Minute)
		}
		select {
		case <-ctx.Done():
			return zero, ctx.Err()
		case <-time.After(wait):
		}
	}
	return poller.Result(ctx)
}

// percentComplete reads an ARM operation status's percentComplete, or -1.
func percentComplete(resp *http.Response) float64 {
	if resp == nil {
		return -1
	}
	body, err := runtime.Payload(resp)
	if err != nil || len(body) == 0 {
		return -1
	}
	var st struct {
		PercentComplete *float64 `json:"percentComplete"`
	}
	if json.Unmarshal(body, &st) != nil || st.PercentComplete == nil {
		return -1
	}
	return min(max(*st.PercentComplete, 0), 100)
}

func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t), true
	}
	return 0, false
}
