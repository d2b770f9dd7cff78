package pci

import (
	"errors"
	"testing"
)

func TestCapabilities(t *testing.T) {
	a := Addr{Dev: 3}
	tests := []struct {
		name    string
		list    [][2]uint8 // (offset, id) in list order; next follows
		loopTo  uint8      // if set, the last entry points here
		want    []Capability
		wantErr error
	}{
		{name: "none"},
		{name: "virtio-like", list: [][2]uint8{{0x98, 0x11}, {0x84, 0x09}, {0x70, 0x09}, {0x40, 0x09}},
			want: []Capability{{0x11, 0x98}, {0x09, 0x84}, {0x09, 0x70}, {0x09, 0x40}}},
		{name: "loop", list: [][2]uint8{{0x40, 0x09}, {0x50, 0x09}}, loopTo: 0x40, wantErr: ErrCapLoop},
		{name: "into header", list: [][2]uint8{{0x40, 0x09}}, loopTo: 0x10, wantErr: ErrCapLoop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newFake()
			f := c.add(a, 0x1af4, 0x1041, 2, 0, 0, 11, 1)
			if len(tt.list) > 0 {
				f.regs[regCommand/4] |= statusCapList
				f.regs[regCapPtr/4] = uint32(tt.list[0][0])
			}
			for i, e := range tt.list {
				next := tt.loopTo
				if i+1 < len(tt.list) {
					next = tt.list[i+1][0]
				}
				f.regs[e[0]/4] = uint32(next)<<8 | uint32(e[1])
			}
			got, err := Capabilities(c, a)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range tt.want {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}
