package api

import (
	"encoding/base64"
	"net/http"
	"strings"
)

// handshakeError is why a request to /websocket is no WebSocket handshake, as the API's error
// envelope tells it.
type handshakeError struct {
	status               int
	code, message, field string
}

// checkHandshake checks what the WebSocket library checks before it upgrades, so that a plain
// HTTP request to /websocket gets the API's JSON error naming the header at fault instead of
// the library's text/plain answer. It returns nil for a handshake the library will accept.
func checkHandshake(r *http.Request) *handshakeError {
	upgrade := func(message, field string) *handshakeError {
		return &handshakeError{http.StatusUpgradeRequired, "upgrade_required", message, field}
	}
	switch {
	case !r.ProtoAtLeast(1, 1):
		return upgrade("a WebSocket handshake needs HTTP/1.1 or later, got "+r.Proto, "")
	case !headerHasToken(r.Header, "Connection", "upgrade"):
		return upgrade("GET /websocket is a WebSocket: the header Connection: Upgrade is missing, got "+quote(r.Header.Get("Connection")), "Connection")
	case !headerHasToken(r.Header, "Upgrade", "websocket"):
		return upgrade("GET /websocket is a WebSocket: the header Upgrade: websocket is missing, got "+quote(r.Header.Get("Upgrade")), "Upgrade")
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		return &handshakeError{http.StatusBadRequest, "invalid_header", "Sec-WebSocket-Version must be 13, got " + quote(r.Header.Get("Sec-WebSocket-Version")), "Sec-WebSocket-Version"}
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return &handshakeError{http.StatusBadRequest, "invalid_header", "the header Sec-WebSocket-Key must be sent once", "Sec-WebSocket-Key"}
	}
	if v, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keys[0])); err != nil || len(v) != 16 {
		return &handshakeError{http.StatusBadRequest, "invalid_header", "Sec-WebSocket-Key must be 16 bytes in base64, got " + quote(keys[0]), "Sec-WebSocket-Key"}
	}
	return nil
}

// headerHasToken says whether a comma-separated header has token, ignoring case.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
