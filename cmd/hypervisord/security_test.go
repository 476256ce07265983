package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

const (
	viewerToken   = "viewer-token-0123456789"
	operatorToken = "operator-token-0123456789"
	adminToken    = "admin-token-0123456789"
)

func (d *daemon) as(token, method, path, body string) (int, map[string]any) {
	d.t.Helper()
	req, _ := http.NewRequest(method, d.url+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if method != "GET" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := d.http.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func TestAuthRolesAuditAndRateLimit(t *testing.T) {
	t.Parallel()
	sum := sha256.Sum256([]byte(adminToken))
	os.Setenv("HYPERSDK_TEST_OPERATOR_TOKEN", operatorToken)
	d := startDaemon(t, testproviderConfig+fmt.Sprintf(`
export:
  base_path: %s
auth:
  enabled: true
  rate_limit: {requests_per_second: 50, burst: 100}
  tokens:
    - {name: dashboards, role: viewer, token: "%s"}
    - {name: ops, role: operator, token: "${HYPERSDK_TEST_OPERATOR_TOKEN}"}
    - {name: root, role: admin, token_sha256: "%s"}
`, t.TempDir(), viewerToken, hex.EncodeToString(sum[:])))
	submit := `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"vmdk"}`
	cases := []struct {
		name, token, method, path, body string
		status                          int
	}{
		{"health is public", "", "GET", "/health", "", 200},
		{"no token", "", "GET", "/jobs", "", 401},
		{"wrong token", "nope-nope-nope-nope", "GET", "/jobs", "", 401},
		{"viewer reads", viewerToken, "GET", "/jobs", "", 200},
		{"viewer lists VMs", viewerToken, "POST", "/vms/list", `{"provider":"testprovider"}`, 200},
		{"viewer cannot submit", viewerToken, "POST", "/jobs/submit", submit, 403},
		{"operator submits", operatorToken, "POST", "/jobs/submit", submit, 202},
		{"operator cannot add webhooks", operatorToken, "POST", "/webhooks/configure", `{"url":"http://127.0.0.1:9/x","events":["job.failed"]}`, 403},
		{"admin adds webhooks", adminToken, "POST", "/webhooks/configure", `{"url":"http://127.0.0.1:9/x","events":["job.failed"]}`, 201},
		{"operator cannot read the audit log", operatorToken, "GET", "/audit", "", 403},
	}
	for _, c := range cases {
		code, body := d.as(c.token, c.method, c.path, c.body)
		if code != c.status {
			t.Errorf("%s: %s %s = %d %v, want %d", c.name, c.method, c.path, code, body, c.status)
		}
		if code >= 400 {
			if e, _ := body["error"].(map[string]any); e["code"] == nil {
				t.Errorf("%s: no error envelope: %v", c.name, body)
			}
		}
	}
	_, audit := d.as(adminToken, "GET", "/audit", "")
	raw, _ := json.Marshal(audit)
	seen := map[string]bool{}
	for _, e := range audit["entries"].([]any) {
		en := e.(map[string]any)
		seen[fmt.Sprintf("%s %s %s %v", en["who"], en["method"], en["path"], en["status"])] = true
	}
	for _, want := range []string{"ops POST /jobs/submit 202", "dashboards POST /jobs/submit 403", "root POST /webhooks/configure 201"} {
		if !seen[want] {
			t.Errorf("audit log lacks %q: %s", want, raw)
		}
	}
	for _, secret := range []string{viewerToken, operatorToken, adminToken} {
		if strings.Contains(string(raw), secret) || strings.Contains(d.logs(), secret) {
			t.Errorf("token %s leaked", secret)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws := strings.Replace(d.url, "http", "ws", 1) + "/websocket"
	if _, _, err := websocket.Dial(ctx, ws, nil); err == nil {
		t.Error("WebSocket without a token was accepted")
	}
	conn, _, err := websocket.Dial(ctx, ws+"?access_token="+viewerToken, nil)
	if err != nil {
		t.Fatalf("WebSocket with a token: %v", err)
	}
	conn.CloseNow()
}

func TestRateLimitPerToken(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `
auth:
  enabled: true
  rate_limit: {requests_per_second: 0.5, burst: 3}
  tokens: [{name: a, role: viewer, token: "`+viewerToken+`"}, {name: b, role: viewer, token: "`+operatorToken+`"}]
`)
	codes := []int{}
	for i := 0; i < 5; i++ {
		code, _ := d.as(viewerToken, "GET", "/capabilities", "")
		codes = append(codes, code)
	}
	if fmt.Sprint(codes) != "[200 200 200 429 429]" {
		t.Errorf("codes = %v, want 3 allowed then 429", codes)
	}
	if code, _ := d.as(operatorToken, "GET", "/capabilities", ""); code != 200 {
		t.Errorf("another token was limited too: %d", code)
	}
}

// selfSigned writes a certificate and key for 127.0.0.1 and returns their paths and a pool
// that trusts the certificate.
func selfSigned(t *testing.T, dir, name string) (certFile, keyFile string, pool *x509.CertPool, pair tls.Certificate) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	os.WriteFile(certFile, certPEM, 0o600)
	os.WriteFile(keyFile, keyPEM, 0o600)
	pool = x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	pair, _ = tls.X509KeyPair(certPEM, keyPEM)
	return certFile, keyFile, pool, pair
}

func TestTLSAndMutualTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert, key, serverPool, _ := selfSigned(t, dir, "server")
	caFile, _, _, clientPair := selfSigned(t, dir, "client")
	d := startDaemon(t, fmt.Sprintf(`daemon:
  address: 127.0.0.1:0
  log_format: json
  plugins_dir: %s
  tls: {cert_file: %s, key_file: %s, client_ca_file: %s}
`, pluginsDir, cert, key, caFile))
	url := strings.Replace(d.url, "http://", "https://", 1) + "/health"
	withCert := &http.Client{Transport: checked(t, &http.Transport{TLSClientConfig: &tls.Config{RootCAs: serverPool, Certificates: []tls.Certificate{clientPair}}})}
	resp, err := withCert.Get(url)
	if err != nil {
		t.Fatalf("HTTPS with a client certificate: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	without := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: serverPool}}}
	if resp, err := without.Get(url); err == nil {
		resp.Body.Close()
		t.Error("mTLS accepted a client without a certificate")
	}
	if resp, err := http.Get(d.url + "/health"); err == nil && resp.StatusCode == 200 {
		t.Error("plain HTTP answered on the TLS port")
	}
}
