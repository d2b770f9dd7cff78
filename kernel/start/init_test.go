package start

import (
	"slices"
	"testing"
)

// TestInitEnv: init gets the kernel's NAME=value words but not the Go
// runtime's settings for the kernel itself.
func TestInitEnv(t *testing.T) {
	for _, tc := range []struct{ kernel, want []string }{
		{nil, nil},
		{[]string{"GODEBUG=decoratemappings=0"}, nil},
		{[]string{"GODEBUG=x=1", "FUZZCALLS=1000000", "GOGC=50", "INITRC=/etc/rc2", "GOMAXPROCS=1"},
			[]string{"FUZZCALLS=1000000", "INITRC=/etc/rc2"}},
		{[]string{"NOEQUALS", "EMPTY="}, []string{"EMPTY="}},
	} {
		if got := initEnv(tc.kernel); !slices.Equal(got, tc.want) {
			t.Errorf("initEnv(%q) = %q, want %q", tc.kernel, got, tc.want)
		}
	}
}
