package azure

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/azure/internal/armstandin"
	"github.com/hypersdk/hypersdk/plugins/azure/internal/azurite"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// grantProxy stands between the provider and Azurite: it records every ranged read of a
// grant's blob that Azurite served, and while the first grant is the only one, refuses (403,
// as Azure does for an expired SAS) every read once refuseAfter were served.
type grantProxy struct {
	rp          *httputil.ReverseProxy
	refuseAfter int
	grants      func() int // how many grants were asked for so far

	mu      sync.Mutex
	served  map[int]int // grant number → reads served
	reads   []string    // "grant bytes=a-b" of each read served
	refused int
}

func (g *grantProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rng := r.Header.Get("x-ms-range")
	if rng == "" {
		rng = r.Header.Get("Range")
	}
	// A read of data: a ranged GET that is no Get Page Ranges (?comp=pagelist).
	if r.Method != http.MethodGet || rng == "" || r.URL.Query().Get("comp") != "" {
		g.rp.ServeHTTP(w, r)
		return
	}
	grant := g.grants()
	g.mu.Lock()
	if grant == 1 && g.served[grant] >= g.refuseAfter {
		g.refused++
		g.mu.Unlock()
		w.Header().Set("x-ms-error-code", "AuthenticationFailed")
		http.Error(w, "Signed expiry time has to be after signed start time", http.StatusForbidden)
		return
	}
	g.served[grant]++
	g.reads = append(g.reads, fmt.Sprint(grant, " ", rng))
	g.mu.Unlock()
	g.rp.ServeHTTP(w, r)
}

// A SAS refused mid-copy is granted again, and the new grant reads only what the first did
// not: every allocated range is read once in all, the footer once per grant.
func TestSASRefusedMidCopyReadsOnlyWhatIsMissing(t *testing.T) {
	az := azurite.Start(t)
	u, err := url.Parse(az.URL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = ""
	// The first grant serves its footer check and three 1 MiB chunks, then refuses.
	proxy := &grantProxy{rp: httputil.NewSingleHostReverseProxy(u), refuseAfter: 4, served: map[int]int{}}
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)
	srv := armstandin.Start(t, armstandin.Options{Token: testToken, Blob: &azurite.Azurite{URL: front.URL + "/" + azurite.Account}})
	proxy.grants = func() int { return countCalls(srv, http.MethodPost, "/beginGetAccess") }
	const size = 16 << 20
	data := map[int64][]byte{}
	fill := rand.NewChaCha8([32]byte{7})
	for off := int64(0); off < size; off += 2 << 20 { // 8 allocated MiB, every other one
		data[off] = make([]byte, 1<<20)
		_, _ = fill.Read(data[off])
	}
	d := armstandin.Disk{ResourceGroup: "rg", Name: "mid-os", Location: "westeurope", SizeBytes: size, Data: data}
	srv.AddDisk(d)
	srv.AddVM(armstandin.VM{ResourceGroup: "rg", Name: "mid", Location: "westeurope", Size: "Standard_B1s", Power: "running", OSType: "Linux", OSDisk: "mid-os"})
	p := New()
	cfg, err := provider.NewConfig(map[string]any{"subscription_id": srv.Subscription(), "credential": "access_token", "access_token": testToken,
		"resource_manager_endpoint": srv.URL(), "poll_interval": "10ms", "download_workers": 1, "chunk_size_mb": 1, "max_retries": 0})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	spec := provider.ExportSpec{JobID: "mid", VMID: "rg/mid", Method: provider.MethodRaw, Dir: t.TempDir()}
	res, err := p.ExportVM(context.Background(), spec, &providertest.Recorder{})
	if err != nil {
		t.Fatal(err)
	}
	sameBytes(t, filepath.Join(spec.Dir, res.Artifacts[0].Path), d)
	proxy.mu.Lock()
	defer proxy.mu.Unlock()
	if proxy.refused == 0 || len(proxy.served) != 2 {
		t.Fatalf("%d reads refused, %d grants read from; want the first grant refused mid-copy and a second", proxy.refused, len(proxy.served))
	}
	footer := fmt.Sprintf("bytes=%d-%d", size, size+511)
	byRange := map[string]int{}
	footers := 0
	for _, r := range proxy.reads {
		_, rng, _ := strings.Cut(r, " ")
		if rng == footer {
			footers++
			continue
		}
		byRange[rng]++
	}
	for rng, n := range byRange {
		if n != 1 {
			t.Errorf("%s read %d times, want once: the second grant reads only what is missing", rng, n)
		}
	}
	if len(byRange) != len(data) || footers != 2 {
		t.Errorf("%d distinct data ranges read (want %d), %d footer reads (want one per grant): %v", len(byRange), len(data), footers, proxy.reads)
	}
}
