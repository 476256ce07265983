package armstandin

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
)

// entraBlobPath prefixes the stand-in's URLs that serve the grant blobs of disks with
// dataAccessAuthMode AzureActiveDirectory: Azure reads such a SAS only with a bearer token of a
// principal holding the Data Operator for Managed Disks role, so these reads come through the
// stand-in, which checks the token, and go on to Azurite.
const entraBlobPath = "/entra-blob"

// entraSAS is the URL the grant of an Entra-only disk answers with: sasURL (Azurite's)
// through the stand-in.
func (s *Server) entraSAS(sasURL string) (string, error) {
	u, err := url.Parse(sasURL)
	if err != nil {
		return "", err
	}
	return s.srv.URL + entraBlobPath + u.Path + "?" + u.RawQuery, nil
}

// serveEntraBlob checks the bearer token of a read of an Entra-only disk's grant and passes the
// read on to Azurite. A token other than Options.DataToken is a principal without the role:
// 403, as Azure answers it.
func (s *Server) serveEntraBlob(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+s.opts.DataToken || s.opts.DataToken == "" {
		w.Header().Set("x-ms-error-code", "AuthorizationPermissionMismatch")
		http.Error(w, "This request is not authorized to perform this operation using this permission.", http.StatusForbidden)
		return
	}
	target, err := url.Parse(s.opts.Blob.URL)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	target.Path = ""
	r.URL.Path = strings.TrimPrefix(r.URL.Path, entraBlobPath)
	r.URL.RawPath = ""
	r.Header.Del("Authorization") // Azurite checks the SAS; the token was the stand-in's to check
	httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
}
