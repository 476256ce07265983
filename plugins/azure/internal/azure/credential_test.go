package azure

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

const certPassword = "pfx-pass-7c1e"

// servicePrincipalCert writes a fresh self-signed certificate and its RSA key, as a service
// principal's PEM file holds them, and returns the file's path and the two PEM blocks.
func servicePrincipalCert(t *testing.T) (path string, certPEM, keyPEM []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(18), Subject: pkix.Name{CommonName: "hypersdk-test-sp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk})
	path = filepath.Join(t.TempDir(), "sp.pem")
	if err := os.WriteFile(path, append(append([]byte{}, certPEM...), keyPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, certPEM, keyPEM
}

// credential client_certificate builds azidentity's ClientCertificateCredential from a PEM or
// PKCS#12 file; a file that is not one is an error naming the key, never echoing the password.
func TestClientCertificateCredential(t *testing.T) {
	t.Parallel()
	pemPath, certPEM, keyPEM := servicePrincipalCert(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A key Entra ID does not take.
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherDER, err := x509.MarshalPKCS8PrivateKey(other)
	if err != nil {
		t.Fatal(err)
	}
	openssl := providertest.NeedTool(t, "openssl", "apt-get install openssl")
	pfx := filepath.Join(dir, "sp.pfx")
	// The legacy algorithms: golang.org/x/crypto/pkcs12 (inside azidentity) reads those only.
	if out, err := exec.Command(openssl, "pkcs12", "-export", "-legacy", "-in", pemPath, "-out", pfx, "-passout", "pass:"+certPassword).CombinedOutput(); err != nil {
		t.Fatalf("openssl pkcs12: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		name, path, password string
		want                 string // empty: a credential
	}{
		{"PEM, certificate and key", pemPath, "", ""},
		{"PKCS#12 with its password", pfx, certPassword, ""},
		{"PKCS#12 with a wrong password", pfx, "wrong-" + certPassword, "client_certificate_path"},
		{"certificate without its key", write("cert-only.pem", certPEM), "", "client_certificate_path"},
		{"key without a certificate", write("key-only.pem", keyPEM), "", "client_certificate_path"},
		{"not a certificate at all", write("junk.pem", []byte("-----BEGIN NOTHING-----\nabc\n-----END NOTHING-----\n")), "", "client_certificate_path"},
		{"an ECDSA key: Entra ID takes RSA only", write("ecdsa.pem", append(append([]byte{}, certPEM...), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: otherDER})...)), "", "credential client_certificate"},
		{"missing file", filepath.Join(dir, "absent.pem"), "", "client_certificate_path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := defaultSettings()
			s.SubscriptionID, s.Credential, s.TenantID, s.ClientID = "sub", "client_certificate", "00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"
			s.ClientCertificatePath, s.ClientCertificatePassword = tc.path, tc.password
			if _, err := s.validate(); err != nil {
				t.Fatal(err)
			}
			cred, err := credential(s)
			if tc.want == "" {
				if _, ok := cred.(*azidentity.ClientCertificateCredential); err != nil || !ok {
					t.Fatalf("credential = %T, %v; want a ClientCertificateCredential", cred, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("credential from %s = %T, want an error", tc.path, cred)
			}
			if !errors.Is(err, provider.ErrInvalidArgument) && !errors.Is(err, provider.ErrAuth) || !strings.Contains(err.Error(), "providers.azure."+tc.want) {
				t.Fatalf("error = %v; want ErrInvalidArgument or ErrAuth naming providers.azure.%s", err, tc.want)
			}
			if tc.password != "" && strings.Contains(err.Error(), tc.password) {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
}
