package smbread

import (
	"strings"
	"testing"
)

// readerAtFunc is a ReadAt made of a function.
type readerAtFunc func([]byte, int64) (int, error)

func (f readerAtFunc) ReadAt(b []byte, off int64) (int, error) { return f(b, off) }

// A panic inside the SMB client's read becomes an error the copy retries on a new connection.
func TestReadAtTurnsAClientPanicIntoAnError(t *testing.T) {
	tests := []struct {
		name    string
		read    readerAtFunc
		wantN   int
		wantErr string
	}{
		{"a read", func(b []byte, _ int64) (int, error) { return copy(b, "data"), nil }, 4, ""},
		{"the client panics", func(b []byte, _ int64) (int, error) {
			var empty []byte
			_ = empty[:48] // what go-smb2 does with the empty packet of a dropped connection
			return len(b), nil
		}, 0, "dropped connection"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := readAt(tt.read, make([]byte, 4), 0)
			if n != tt.wantN || (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("readAt = %d, %v; want %d and an error containing %q", n, err, tt.wantN, tt.wantErr)
			}
		})
	}
}
