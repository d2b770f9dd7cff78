package runqemu

import (
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestArgs(t *testing.T) {
	tests := []struct {
		name    string
		c       Config
		want    []string // consecutive pairs that must appear
		absent  []string
		wantErr string
	}{
		{name: "defaults", c: Config{},
			want: []string{"-accel tcg", "-m 512M", "-device e1000,netdev=net0,romfile=",
				"-netdev user,id=net0,hostfwd=tcp::25502-:80",
				"-object filter-dump,id=dump0,netdev=net0,file=build/packets.pcap,maxlen=131072",
				"-device isa-debug-exit,iobase=0xf4,iosize=0x04", "-serial chardev:con0", "-chardev stdio,id=con0,mux=on,signal=off",
				"-kernel build/boot.elf", "-initrd build/kernel.elf", "-cpu qemu64,+rdrand"},
			absent: []string{"-append", "-drive"}},
		{name: "virtio kvm port kargs", c: Config{NIC: "virtio", Accel: "kvm", Port: 8080, KArgs: "selftest"},
			want: []string{"-accel kvm", "-cpu host", "-device virtio-net-pci,netdev=net0,romfile=",
				"-netdev user,id=net0,hostfwd=tcp::8080-:80", "-append selftest"}},
		{name: "udp forward", c: Config{HostFwd: []string{"udp:127.0.0.1:5555-:7"}},
			want: []string{"-netdev user,id=net0,hostfwd=tcp::25502-:80,hostfwd=udp:127.0.0.1:5555-:7 "}},
		{name: "root", c: Config{Root: "/src/scone", Pcap: "/tmp/x.pcap"},
			want: []string{"-kernel /src/scone/build/boot.elf", "file=/tmp/x.pcap"}},
		{name: "disk", c: Config{Root: "/src", Disk: "build/fs.img"},
			want: []string{"-drive file=/src/build/fs.img,if=none,id=disk0,format=raw,cache=writeback", "-device virtio-blk-pci,drive=disk0 "}},
		{name: "modern disk", c: Config{Disk: "/tmp/fs.img", DiskModern: true},
			want: []string{"-device virtio-blk-pci,drive=disk0,disable-legacy=on"}},
		{name: "comma in disk path", c: Config{Disk: "a,b.img"}, wantErr: "comma"},
		{name: "tap", c: Config{NIC: "virtio", TAP: "tap0", HostFwd: []string{"udp::1-:2"}},
			want:   []string{"-netdev tap,id=net0,ifname=tap0,script=no,downscript=no,vnet_hdr=on "},
			absent: []string{"hostfwd"}},
		{name: "bad nic", c: Config{NIC: "rtl8139"}, wantErr: "NIC"},
		{name: "bad accel", c: Config{Accel: "hvf"}, wantErr: "ACCEL"},
		{name: "bad port", c: Config{Port: 70000}, wantErr: "port"},
		{name: "gdb", c: Config{GDB: 4321}, want: []string{"-gdb tcp:127.0.0.1:4321 -S"}},
		{name: "bad gdb port", c: Config{GDB: -1}, wantErr: "gdb port"},
		{name: "comma in kernel path", c: Config{Kernel: "a,b.elf"}, wantErr: "comma"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args, err := tt.c.Args()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			line := " " + strings.Join(args, " ") + " "
			for _, w := range tt.want {
				if !strings.Contains(line, w) {
					t.Errorf("missing %q in %s", w, line)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(line, " "+a+" ") {
					t.Errorf("unexpected %q in %s", a, line)
				}
			}
		})
	}
}

func TestKernelStatus(t *testing.T) {
	tests := []struct {
		qemu, kernel int
		err          bool
	}{
		{1, 0, false}, {3, 1, false}, {7, 3, false}, {255, 127, false},
		{0, 0, true}, {2, 0, true},
	}
	for _, tt := range tests {
		got, err := KernelStatus(tt.qemu)
		if (err != nil) != tt.err || got != tt.kernel {
			t.Errorf("KernelStatus(%d) = %d, %v; want %d, error %v", tt.qemu, got, err, tt.kernel, tt.err)
		}
	}
	if _, err := KernelStatus(0); !errors.Is(err, ErrNoExitStatus) {
		t.Errorf("KernelStatus(0) = %v, want ErrNoExitStatus", err)
	}
}

func TestQEMUComplained(t *testing.T) {
	tests := []struct {
		stderr string
		want   bool
	}{
		{"", false},
		{"qemu-system-x86_64: warning: host doesn't support requested feature\n", false},
		{"qemu-system-x86_64: -kernel nope: Could not open 'nope'\n", true},
	}
	for _, tt := range tests {
		if got := qemuComplained(tt.stderr); got != tt.want {
			t.Errorf("qemuComplained(%q) = %v", tt.stderr, got)
		}
	}
}

// tinyImage returns a multiboot image ("a.out kludge": a flat binary loaded
// at 1 MiB) whose 32-bit code prints msg on COM1 and writes status to the
// isa-debug-exit port: the smallest kernel that exercises a Session.
func tinyImage(msg string, status byte) []byte {
	const base = 0x100000
	const hdrLen = 32
	code := []byte{
		0xFC,                   // cld
		0x66, 0xBA, 0xF8, 0x03, // mov dx, 0x3f8
		0xBE, 0, 0, 0, 0, // mov esi, msg (patched below)
		0xAC,       // loop: lodsb
		0x84, 0xC0, // test al, al
		0x74, 0x03, // jz done
		0xEE,       // out dx, al
		0xEB, 0xF8, // jmp loop
		0xB0, status, // done: mov al, status
		0xE6, DebugExitPort, // out 0xf4, al
		0xF4,       // hlt
		0xEB, 0xFD, // jmp hlt
	}
	binary.LittleEndian.PutUint32(code[6:], uint32(base+hdrLen+len(code)))
	body := append(code, append([]byte(msg), 0)...)
	end := uint32(base + hdrLen + len(body))
	const magic, flags = 0x1BADB002, 1 << 16 // the address fields are valid
	hdr := []uint32{magic, flags, -(magic + flags) & 0xFFFFFFFF, base, base, end, end, base + hdrLen}
	img := make([]byte, hdrLen, int(end-base))
	for i, v := range hdr {
		binary.LittleEndian.PutUint32(img[4*i:], v)
	}
	return append(img, body...)
}

// TestSessionTinyImage boots tinyImage and checks that a Session sees its
// output and maps its exit status back.
func TestSessionTinyImage(t *testing.T) {
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Skip("qemu-system-x86_64 not installed (make deps installs it)")
	}
	dir := t.TempDir()
	loader := filepath.Join(dir, "tiny.bin")
	if err := os.WriteFile(loader, tinyImage("hello from tiny\n", 5), 0o644); err != nil {
		t.Fatal(err)
	}
	kernel := filepath.Join(dir, "module.bin")
	if err := os.WriteFile(kernel, []byte("not a kernel"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Start(Config{Loader: loader, Kernel: kernel, Port: freePort(t), Pcap: filepath.Join(dir, "p.pcap")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Kill()
	if _, err := s.Expect(regexp.MustCompile(`hello from \w+`), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	status, err := s.Wait(30 * time.Second)
	if err != nil || status != 5 {
		t.Fatalf("Wait = %d, %v; want 5", status, err)
	}
}

func TestMissingImages(t *testing.T) {
	dir := t.TempDir()
	_, err := Start(Config{Root: dir})
	if err == nil || !strings.Contains(err.Error(), "make build") {
		t.Fatalf("Start with no images: %v, want an error that says to run make build", err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	p, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestExpectAll feeds a session output by hand: ExpectAll returns once
// both patterns have appeared, in either order, moves past the later
// one, and times out when one never comes.
func TestExpectAll(t *testing.T) {
	for _, order := range [][]string{{"$ ", "net: up\n"}, {"net: up\n", "$ "}} {
		s := &Session{changed: make(chan struct{})}
		w := lockedWriter{s, &s.out}
		got := make(chan []string, 1)
		go func() {
			m, err := s.ExpectAll(10*time.Second, regexp.MustCompile(`\$ `), regexp.MustCompile(`net: \w+`))
			if err != nil {
				t.Error(err)
			}
			got <- m
		}()
		w.Write([]byte("boot\n" + order[0]))
		w.Write([]byte(order[1] + "after"))
		if m := <-got; len(m) != 2 || m[0] != "$ " || m[1] != "net: up" {
			t.Errorf("order %q: matches %q", order, m)
		}
		if rest := s.out.String()[s.mark:]; !strings.HasPrefix(rest, "\n") && !strings.HasPrefix(rest, "after") {
			t.Errorf("order %q: after ExpectAll the output left is %q", order, rest)
		}
	}
	s := &Session{changed: make(chan struct{})}
	lockedWriter{s, &s.out}.Write([]byte("$ "))
	if _, err := s.ExpectAll(50*time.Millisecond, regexp.MustCompile(`\$ `), regexp.MustCompile(`net:`)); err == nil {
		t.Error("ExpectAll succeeded with one pattern missing")
	}
}
