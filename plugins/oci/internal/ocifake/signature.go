package ocifake

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// GenerateKey makes an RSA-2048 API signing key: its PEM (what the provider is configured
// with) and its public half (what the stand-in verifies signatures with).
func GenerateKey() (string, *rsa.PublicKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", nil, err
	}
	der := x509.MarshalPKCS1PrivateKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der})), &k.PublicKey, nil
}

// verify checks a request's draft-cavage HTTP signature the way OCI does: the
// Authorization header names the key (tenancy/user/fingerprint), rsa-sha256 and the signed
// headers, which must include date, (request-target) and host, and for a request with a body
// content-length, content-type and x-content-sha256, whose hash must be the body's. The date
// must be within five minutes. It returns why a request is refused, or "".
func (c *Cloud) verify(r *http.Request) string {
	auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Signature ")
	if !ok {
		return "no Signature authorization header"
	}
	params := map[string]string{}
	for _, part := range strings.Split(auth, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return "malformed authorization parameter " + part
		}
		params[k] = strings.Trim(v, `"`)
	}
	if params["version"] != "1" || params["algorithm"] != "rsa-sha256" {
		return fmt.Sprintf("unsupported signature version %q or algorithm %q", params["version"], params["algorithm"])
	}
	c.mu.Lock()
	pub := c.keys[params["keyId"]]
	c.mu.Unlock()
	if pub == nil {
		return "unknown keyId " + params["keyId"]
	}
	headers := strings.Fields(params["headers"])
	want := []string{"date", "(request-target)", "host"}
	if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
		want = append(want, "content-length", "content-type", "x-content-sha256")
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return "cannot read the body: " + err.Error()
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.Sum256(body)
		if r.Header.Get("x-content-sha256") != base64.StdEncoding.EncodeToString(sum[:]) {
			return "x-content-sha256 is not the body's SHA-256"
		}
	}
	for _, h := range want {
		if !contains(headers, h) {
			return "the signature does not cover " + h
		}
	}
	date, err := http.ParseTime(r.Header.Get("date"))
	if err != nil || time.Since(date).Abs() > 5*time.Minute {
		return fmt.Sprintf("date %q is not within five minutes of now", r.Header.Get("date"))
	}
	lines := make([]string, len(headers))
	for i, h := range headers {
		v := r.Header.Get(h)
		switch h {
		case "(request-target)":
			v = strings.ToLower(r.Method) + " " + r.RequestURI
		case "host":
			v = r.Host
		}
		lines[i] = h + ": " + v
	}
	sig, err := base64.StdEncoding.DecodeString(params["signature"])
	if err != nil {
		return "the signature is not base64"
	}
	digest := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
		return "the signature does not verify with the public key of " + params["keyId"]
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
