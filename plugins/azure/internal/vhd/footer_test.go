package vhd

import (
	"errors"
	"testing"
	"time"
)

func TestFooterRoundTripAndDamage(t *testing.T) {
	t.Parallel()
	good := FixedFooter(3<<30, time.Now())
	f, err := Parse(good)
	if err != nil || f.CurrentSize != 3<<30 || f.DiskType != TypeFixed {
		t.Fatalf("Parse(FixedFooter(3 GiB)) = %+v, %v", f, err)
	}
	for _, tc := range []struct {
		name   string
		damage func([]byte) []byte
	}{
		{"short", func(b []byte) []byte { return b[:511] }},
		{"cookie", func(b []byte) []byte { b[0] = 'x'; return b }},
		{"checksum", func(b []byte) []byte { b[50]++; return b }},
		{"zeros", func(b []byte) []byte { return make([]byte, FooterSize) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := tc.damage(append([]byte(nil), good...))
			if _, err := Parse(b); !errors.Is(err, ErrNotVHD) {
				t.Fatalf("Parse(%s) = %v, want ErrNotVHD", tc.name, err)
			}
		})
	}
}
