package dgram

import (
	"errors"
	"syscall"
	"testing"
)

func TestBindErr(t *testing.T) {
	tests := []struct {
		name          string
		closed, bound bool
		want          error
	}{
		{"fresh", false, false, nil},
		{"bound", false, true, syscall.EINVAL},
		{"closed", true, false, syscall.EBADF},
		{"closed after bind", true, true, syscall.EBADF},
	}
	for _, tt := range tests {
		b := NewBase()
		b.Closed, b.Bound = tt.closed, tt.bound
		if err := b.BindErr(); !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
			t.Errorf("%s: BindErr() = %v, want %v", tt.name, err, tt.want)
		}
	}
}
