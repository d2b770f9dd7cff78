package main

import "testing"

func TestParseCIDR(t *testing.T) {
	tests := []struct {
		in   string
		addr string
		bits int
		ok   bool
	}{
		{"10.77.0.2/24", "10.77.0.2", 24, true},
		{"10.0.0.1/32", "10.0.0.1", 32, true},
		{"10.0.0.1/0", "10.0.0.1", 0, true},
		{"10.0.0.1", "", 0, false},
		{"10.0.0.1/33", "", 0, false},
		{"10.0.0.1/-1", "", 0, false},
		{"10.0.0/24", "", 0, false},
		{"dhcp", "", 0, false},
	}
	for _, tt := range tests {
		a, bits, err := parseCIDR(tt.in)
		if (err == nil) != tt.ok || (tt.ok && (a.String() != tt.addr || bits != tt.bits)) {
			t.Errorf("parseCIDR(%q) = %v, %d, %v", tt.in, a, bits, err)
		}
	}
}
