package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hypersdk/hypersdk/core/auth"
	"github.com/hypersdk/hypersdk/core/webhooks"
)

// WebhookRequest is the seed's POST /webhooks/configure body, plus an optional signing secret.
type WebhookRequest struct {
	URL     string            `json:"url"`
	Events  []string          `json:"events"`
	Headers map[string]string `json:"headers"`
	Secret  string            `json:"secret"`
}

// WebhookCreated answers a registration. Secret is set only when the daemon generated it: this
// answer is the one time it is shown.
type WebhookCreated struct {
	webhooks.Hook
	SignatureHeader string `json:"signature_header"`
}

func (h *handlers) configureWebhook(c *gin.Context) {
	var req WebhookRequest
	if !decodeJSON(c, &req) {
		return
	}
	hook, err := h.Webhooks.Add(webhooks.Hook{URL: req.URL, Events: req.Events, Headers: req.Headers, Secret: req.Secret})
	if err != nil {
		webhookError(c, err)
		return
	}
	out := WebhookCreated{Hook: hook.Public(), SignatureHeader: webhooks.HeaderSignature}
	if req.Secret == "" {
		out.Secret = hook.Secret
	}
	c.JSON(http.StatusCreated, out)
}

// listWebhooks answers admins only, although it only reads: a hook URL is often a credential
// itself (a Slack or Teams URL, a ?token=), and admins are who manage hooks.
func (h *handlers) listWebhooks(c *gin.Context) {
	if v, ok := c.Get(identityKey); !ok || v.(auth.Identity).Role < auth.Admin {
		id, _ := v.(auth.Identity)
		abort(c, http.StatusForbidden, "forbidden", id.Name+" has role "+id.Role.String()+"; listing webhooks needs admin (their URLs are often credentials)", "")
		return
	}
	hooks, err := h.Webhooks.List()
	if err != nil {
		webhookError(c, err)
		return
	}
	out := WebhookList{Webhooks: make([]WebhookView, len(hooks))}
	for i, hk := range hooks {
		out.Webhooks[i] = WebhookView{Hook: hk.Public()}
		ld, ok, err := h.Webhooks.LastDelivery(hk)
		if err != nil {
			webhookError(c, err)
			return
		}
		if ok {
			out.Webhooks[i].LastDelivery = &ld
		}
	}
	c.JSON(http.StatusOK, out)
}

func (h *handlers) deleteWebhook(c *gin.Context) {
	if err := h.Webhooks.Delete(c.Param("id")); err != nil {
		webhookError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func webhookError(c *gin.Context, err error) {
	switch {
	case errors.Is(err, webhooks.ErrInvalid):
		// the field comes from the error, not its text: a header name may itself hold a colon
		var fe *webhooks.FieldError
		field := ""
		if errors.As(err, &fe) {
			field = fe.Field
		}
		abort(c, http.StatusBadRequest, "invalid_field", err.Error(), field)
	case errors.Is(err, webhooks.ErrNotFound):
		abort(c, http.StatusNotFound, "not_found", err.Error(), "id")
	case errors.Is(err, webhooks.ErrReadOnly):
		abort(c, http.StatusConflict, "read_only", err.Error(), "id")
	default:
		abort(c, http.StatusInternalServerError, "internal", err.Error(), "")
	}
}
