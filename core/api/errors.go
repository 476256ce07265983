package api

import (
	"github.com/gin-gonic/gin"
)

// ErrorBody is the one shape of every 4xx and 5xx response:
// {"error":{"code":"…","message":"…","field":"…"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong; Field names the request field at fault, when there is one.
type ErrorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// abort ends the request with the error envelope.
func abort(c *gin.Context, status int, code, message, field string) {
	c.AbortWithStatusJSON(status, ErrorBody{Error: ErrorDetail{
		Code: code, Message: message, Field: field, RequestID: c.GetString(requestIDKey),
	}})
}
