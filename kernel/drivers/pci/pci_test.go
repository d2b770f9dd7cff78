package pci

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// qemuPC is the bus of `qemu-system-x86_64 -M pc` with one NIC, as Scone
// boots it, plus a device behind a bridge on bus 1.
func qemuPC(nic string) *fakeConfig {
	c := newFake()
	c.add(Addr{0, 0, 0}, 0x8086, 0x1237, 0x06, 0x00, 0x00, 0, 0)
	c.add(Addr{0, 1, 0}, 0x8086, 0x7000, 0x06, 0x01, 0x80, 0, 0)
	c.add(Addr{0, 1, 1}, 0x8086, 0x7010, 0x01, 0x01, 0x00, 0, 0).bar(4, "io", 0xc060, 16)
	c.add(Addr{0, 1, 3}, 0x8086, 0x7113, 0x06, 0x80, 0x00, 9, 1)
	switch nic {
	case "e1000":
		c.add(Addr{0, 3, 0}, 0x8086, 0x100e, 0x02, 0x00, 0x00, 11, 1).
			bar(0, "mem32", 0xfeb80000, 128<<10).bar(1, "io", 0xc000, 64)
	case "virtio":
		f := c.add(Addr{0, 3, 0}, 0x1af4, 0x1000, 0x02, 0x00, 0x00, 11, 1).
			bar(0, "io", 0xc040, 32).bar(1, "mem32", 0xfebd1000, 4096).bar(4, "mem64pf", 0xfe000000, 16<<10)
		f.ioTop = true
	}
	c.add(Addr{1, 0, 0}, 0x1b36, 0x0001, 0x06, 0x04, 0x01, 10, 1).bar(0, "mem64", 0x8_0000_0000, 8<<30)
	return c
}

func TestScan(t *testing.T) {
	tests := []struct {
		nic  string
		want map[Addr][]BAR
		id   string
	}{
		{nic: "e1000", id: "8086:100e", want: map[Addr][]BAR{
			{0, 1, 1}: {{Index: 4, IO: true, Addr: 0xc060, Size: 16}},
			{0, 3, 0}: {{Index: 0, Addr: 0xfeb80000, Size: 128 << 10}, {Index: 1, IO: true, Addr: 0xc000, Size: 64}},
			{1, 0, 0}: {{Index: 0, Is64: true, Addr: 0x8_0000_0000, Size: 8 << 30}},
		}},
		{nic: "virtio", id: "1af4:1000", want: map[Addr][]BAR{
			{0, 3, 0}: {{Index: 0, IO: true, Addr: 0xc040, Size: 32}, {Index: 1, Addr: 0xfebd1000, Size: 4096},
				{Index: 4, Is64: true, Prefetch: true, Addr: 0xfe000000, Size: 16 << 10}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.nic, func(t *testing.T) {
			c := qemuPC(tt.nic)
			before := snapshot(c)
			devs := Scan(c)
			if len(devs) != len(c.funcs) {
				t.Fatalf("found %d functions, want %d: %+v", len(devs), len(c.funcs), devs)
			}
			for i := 1; i < len(devs); i++ {
				if !less(devs[i-1].Addr, devs[i].Addr) {
					t.Errorf("not in address order: %v before %v", devs[i-1].Addr, devs[i].Addr)
				}
			}
			for a, want := range tt.want {
				d := find(devs, a)
				if d == nil {
					t.Fatalf("%v not found", a)
				}
				if !reflect.DeepEqual(d.BARs, want) {
					t.Errorf("%v BARs = %+v, want %+v", a, d.BARs, want)
				}
			}
			nic := find(devs, Addr{0, 3, 0})
			if nic.ID() != tt.id || nic.ClassName() != "ethernet" || nic.IRQLine != 11 || nic.IRQPin != 1 {
				t.Errorf("NIC = %+v", nic)
			}
			if d, ok := Find(devs, nic.Vendor, nic.Device); !ok || d.Addr != nic.Addr {
				t.Errorf("Find(%s) = %v, %v", nic.ID(), d, ok)
			}
			if _, ok := Find(devs, 0x10ec, 0x8139); ok {
				t.Error("Find reports a device that is not there")
			}
			if !reflect.DeepEqual(snapshot(c), before) {
				t.Error("Scan left configuration space changed")
			}
			if c.decodingProbe {
				t.Error("a BAR was probed while its function decoded addresses")
			}
		})
	}
}

func TestMech1(t *testing.T) {
	c := qemuPC("e1000")
	viaPorts := Scan(Mech1{P: &fakePorts{c: c}})
	direct := Scan(qemuPC("e1000"))
	if !reflect.DeepEqual(viaPorts, direct) {
		t.Errorf("mechanism #1 scan differs:\n%+v\n%+v", viaPorts, direct)
	}
	if got := address(Addr{Bus: 1, Dev: 3, Func: 2}, 0x3E); got != 0x80011A3C {
		t.Errorf("address = %#x, want 0x80011a3c", got)
	}
}

func TestBadBARs(t *testing.T) {
	c := newFake()
	f := c.add(Addr{0, 4, 0}, 0x1234, 0x5678, 0xFF, 0x00, 0x00, 0xFF, 7)
	f.bar(5, "mem64", 0xe0000000, 4096)  // 64-bit BAR with no upper half
	f.regs[regBAR0/4+2] = 0xd0000000 | 2 // reserved memory type 1
	f.sizes[2] = 4096
	devs := Scan(c)
	if len(devs) != 1 {
		t.Fatalf("found %d devices", len(devs))
	}
	d := devs[0]
	if len(d.BARs) != 0 {
		t.Errorf("BARs = %+v, want none", d.BARs)
	}
	if len(d.Errs) != 2 || !errors.Is(d.Errs[0], ErrBARReserved) || !errors.Is(d.Errs[1], ErrBAR64Last) {
		t.Errorf("Errs = %v", d.Errs)
	}
	var b strings.Builder
	if err := WriteTable(&b, devs); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1234:5678", "class ff.00", "irq -", "64-bit BAR in the last slot"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

func TestWriteTable(t *testing.T) {
	for _, nic := range []string{"e1000", "virtio"} {
		var b strings.Builder
		if err := WriteTable(&b, Scan(qemuPC(nic))); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"e1000":  "pci: 00:03.0 8086:100e 02.00 ethernet     irq 11/INTA  bar0 mem32 0xfeb80000 128K; bar1 io 0xc000 64\n",
			"virtio": "pci: 00:03.0 1af4:1000 02.00 ethernet     irq 11/INTA  bar0 io 0xc040 32; bar1 mem32 0xfebd1000 4K; bar4 mem64,pf 0xfe000000 16K\n",
		}[nic]
		if !strings.Contains(b.String(), want) {
			t.Errorf("%s table lacks\n%s\ngot\n%s", nic, want, b.String())
		}
		if !strings.HasPrefix(b.String(), "pci: 6 functions\n") {
			t.Errorf("table header: %q", b.String())
		}
	}
}

// FuzzProbe decodes one function whose registers come from the fuzzer.
func FuzzProbe(f *testing.F) {
	f.Add([]byte{0x86, 0x80, 0x0e, 0x10, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newFake()
		fn := c.add(Addr{0, 0, 0}, 0x1234, 0x1, 0, 0, 0, 0, 0)
		for i := 0; i+4 <= len(data) && i/4 < 16; i += 4 {
			fn.regs[i/4] = uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		}
		for i := range fn.sizes {
			if i < len(data) && data[i]&0x1F < 40 {
				fn.sizes[i] = 1 << (data[i] & 0x1F)
			}
		}
		if uint16(fn.regs[0]) == 0xFFFF {
			return
		}
		d := probe(c, Addr{})
		var b strings.Builder
		WriteTable(&b, []Device{d})
	})
}

func snapshot(c *fakeConfig) map[Addr][64]uint32 {
	m := map[Addr][64]uint32{}
	for a, f := range c.funcs {
		m[a] = f.regs
	}
	return m
}

func find(devs []Device, a Addr) *Device {
	for i := range devs {
		if devs[i].Addr == a {
			return &devs[i]
		}
	}
	return nil
}

func less(a, b Addr) bool {
	if a.Bus != b.Bus {
		return a.Bus < b.Bus
	}
	if a.Dev != b.Dev {
		return a.Dev < b.Dev
	}
	return a.Func < b.Func
}

func TestEnableMaster(t *testing.T) {
	c := newFake()
	a := Addr{Dev: 3}
	f := c.add(a, 0x8086, 0x100e, 2, 0, 0, 11, 1)
	f.regs[regCommand/4] = 0xFFFF0000 | cmdIntxDisable // status bits set, decoding off
	EnableMaster(c, a)
	if got := f.regs[regCommand/4] & 0xFFFF; got != cmdIO|cmdMem|cmdMaster {
		t.Errorf("command %#x, want %#x", got, cmdIO|cmdMem|cmdMaster)
	}
}
