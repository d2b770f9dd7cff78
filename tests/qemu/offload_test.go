package qemu

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket/pcapgo"

	"scone/kernel/khttp"
	"scone/kernel/net/nettest"
	"scone/kernel/net/tcpip"
	"scone/tools/runqemu"
)

// offloadSize is what each direction moves in TestVirtioOffload.
const offloadSize = 16 << 20

// needTAP fails (CI=true) or skips the test when this machine cannot make
// a network namespace with a TAP device (not root, no ip, no /dev/net/tun).
func needTAP(t *testing.T) {
	t.Helper()
	why := ""
	if os.Geteuid() != 0 {
		why = "not root"
	} else if _, err := exec.LookPath("ip"); err != nil {
		why = "no ip command (iproute2)"
	} else if _, err := os.Stat("/dev/net/tun"); err != nil {
		why = "no /dev/net/tun"
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("TAP in a network namespace needed: %s", why)
	}
	t.Skipf("TAP in a network namespace needed: %s", why)
}

// tapNetns makes a network namespace holding tap0 (with vnet headers) at
// 10.0.2.2/24, removed when the test ends.
func tapNetns(t *testing.T) string {
	t.Helper()
	ns := fmt.Sprintf("scone-offload-%d-%d", os.Getpid(), time.Now().UnixNano()%1e6)
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	run("-n", ns, "link", "set", "lo", "up")
	// IPv4 only: no router solicitations or MLD reports in the capture.
	if out, err := exec.Command("ip", "netns", "exec", ns, "sh", "-c",
		"echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6 && echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6").CombinedOutput(); err != nil {
		t.Fatalf("disable IPv6 in %s: %v\n%s", ns, err, out)
	}
	run("-n", ns, "tuntap", "add", "dev", "tap0", "mode", "tap", "vnet_hdr")
	run("-n", ns, "addr", "add", "10.0.2.2/24", "dev", "tap0")
	run("-n", ns, "link", "set", "tap0", "up")
	return ns
}

// TestVirtioOffload runs virtio-net on a TAP with vnet headers, where
// QEMU offers checksum offload (its user network offers none), with the
// offloads on and declined (nooffload): the host's curl, inside the
// namespace, gets 16 MiB from the kernel's responder and posts 16 MiB to
// it, both checked byte for byte, and with offload on the driver's
// counters show checksums offloaded both ways. Each run's rate is logged.
func TestVirtioOffload(t *testing.T) {
	needTAP(t)
	for _, off := range []bool{false, true} {
		name := map[bool]string{false: "offload", true: "nooffload"}[off]
		t.Run(name, func(t *testing.T) {
			ns := tapNetns(t)
			kargs := "serve ip=10.0.2.15/24,10.0.2.2"
			if off {
				kargs += " nooffload"
			}
			s := bootConfig(t, runqemu.Config{NIC: "virtio", TAP: "tap0", Netns: ns, KArgs: kargs})
			want := "csum guest-csum tso4"
			if off {
				want = "none"
			}
			expect(t, s, `virtio-net: 1af4:1000 .* offload `+want+`\r?\n`, bootTimeout)
			expect(t, s, `http: serving on port 80`, bootTimeout)

			start := time.Now()
			cmd := exec.Command("ip", "netns", "exec", ns, "curl", "-sS", "--max-time", "120",
				fmt.Sprintf("http://10.0.2.15/bytes/%d", offloadSize))
			body, err := cmd.Output()
			if err != nil {
				t.Fatalf("curl GET: %v", err)
			}
			down := time.Since(start)
			if len(body) != offloadSize {
				t.Fatalf("GET: %d bytes, want %d", len(body), offloadSize)
			}
			for i, b := range body {
				if b != khttp.Pattern(int64(i)) {
					t.Fatalf("GET: byte %d is %d, want %d", i, b, khttp.Pattern(int64(i)))
				}
			}

			up := make([]byte, offloadSize)
			for i := range up {
				up[i] = byte(i*13 + i>>11)
			}
			file := filepath.Join(t.TempDir(), "up.bin")
			if err := os.WriteFile(file, up, 0o644); err != nil {
				t.Fatal(err)
			}
			start = time.Now()
			cmd = exec.Command("ip", "netns", "exec", ns, "curl", "-sS", "--max-time", "120",
				"--data-binary", "@"+file, "http://10.0.2.15/sink")
			reply, err := cmd.Output()
			if err != nil {
				t.Fatalf("curl POST: %v", err)
			}
			upTime := time.Since(start)
			sum := sha256.Sum256(up)
			if wantReply := fmt.Sprintf("length %d sha256 %s", offloadSize, hex.EncodeToString(sum[:])); !bytes.Contains(reply, []byte(wantReply)) {
				t.Fatalf("POST reply %q, want %q", reply, wantReply)
			}
			t.Logf("%s: GET 16 MiB %.1f MB/s, POST 16 MiB %.1f MB/s", name,
				offloadSize/1e6/down.Seconds(), offloadSize/1e6/upTime.Seconds())

			out := command(t, s, "net")
			tx := counter(out, `virtio-net tx: \d+ frames \d+ bytes, (\d+) checksum offloads`)
			rx := counter(out, `virtio-net rx: \d+ frames \d+ bytes, \d+ errors, \d+ checksums completed, (\d+) partial passed as checked`)
			valid := counter(out, `partial passed as checked, (\d+) marked valid`)
			gso := counter(out, `(\d+) segmentation offloads`)
			segs := counter(out, `segmentation offloads \((\d+) segments\)`)
			t.Logf("%s: %d frames sent with checksum offload, %d with segmentation offload (%d segments); received: %d partial checksums passed up as checked, %d marked valid", name, tx, gso, segs, rx, valid)
			if !off && (gso < 100 || segs < 2*gso) {
				t.Errorf("TSO on, but %d frames segmented into %d\n%s", gso, segs, out)
			}
			if off && gso != 0 {
				t.Errorf("offload declined, but %d frames segmented", gso)
			}
			if !off && (tx < 1000 || rx+valid < 1000) {
				t.Errorf("offload on, but tx %d offloaded, rx %d partial + %d valid\n%s", tx, rx, valid, out)
			}
			if off && (tx != 0 || rx != 0 || valid != 0) {
				t.Errorf("offload declined, but tx %d offloaded, rx %d partial + %d valid", tx, rx, valid)
			}
			if err := s.Send("halt\r"); err != nil {
				t.Fatal(err)
			}
			wantExit(t, s, 0)
			if large := checkVnetPcap(t, s.Config.Pcap); off && large != 0 || !off && large == 0 {
				t.Errorf("pcap: %d GSO frames with offload declined=%v", large, off)
			}
		})
	}
}

// checkVnetPcap checks a capture of a TAP with vnet headers: QEMU's
// filter-dump writes each frame with its 12-byte virtio-net header in
// front. A frame marked NEEDS_CSUM carries only the pseudo-header's sum
// (the device, here the host's kernel, completes it), so the check first
// completes it as the device does; then every frame must decode with valid
// checksums, as checkPcap requires of the user network's captures. With
// TSO the capture holds the large frame as the driver gave it, before the
// device cut it: its header must say GSO_TCPV4 with hdr_len the end of the
// TCP header and a gso_size that makes it more than one segment; its
// checksum, completed over the whole packet, must then be valid, as the
// device's per-segment sums derive from it. checkVnetPcap returns the
// number of such frames.
func checkVnetPcap(t *testing.T, path string) (large int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	c := nettest.NewChecker()
	partial := 0
	for {
		data, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(data) < 12+14 {
			t.Errorf("capture record of %d bytes: shorter than a vnet header and an Ethernet header", len(data))
			continue
		}
		hdr, frame := data[:12], data[12:]
		if hdr[1] != 0 {
			if err := checkGSOHeader(hdr, frame); err != nil {
				t.Errorf("GSO frame %d: %v", c.Frames(), err)
				continue
			}
			large++
		}
		if hdr[0]&1 != 0 {
			start := int(binary.LittleEndian.Uint16(hdr[6:]))
			off := int(binary.LittleEndian.Uint16(hdr[8:]))
			if start+off+2 > len(frame) {
				t.Errorf("NEEDS_CSUM at %d+%d in a %d-byte frame", start, off, len(frame))
				continue
			}
			seed := uint32(binary.BigEndian.Uint16(frame[start+off:]))
			binary.BigEndian.PutUint16(frame[start+off:], 0)
			binary.BigEndian.PutUint16(frame[start+off:], ^tcpip.Checksum(frame[start:], seed))
			partial++
		}
		c.Check(frame)
	}
	t.Logf("pcap: %d frames checked, %d with a partial checksum completed, %d for the device to segment", c.Frames(), partial, large)
	if c.Frames() < 1000 {
		t.Errorf("pcap holds only %d frames", c.Frames())
	}
	if err := c.Err(); err != nil {
		t.Error(err)
	}
	return large
}

// checkGSOHeader checks a virtio-net header asking for segmentation
// against the frame it precedes (an IPv4 TCP packet).
func checkGSOHeader(hdr, f []byte) error {
	gsoType := hdr[1]
	hdrLen := int(binary.LittleEndian.Uint16(hdr[2:]))
	size := int(binary.LittleEndian.Uint16(hdr[4:]))
	if gsoType != 1 || hdr[0]&1 == 0 {
		return fmt.Errorf("gso_type %d, flags %#x: want GSO_TCPV4 with NEEDS_CSUM", gsoType, hdr[0])
	}
	if len(f) < 14+20 || f[23] != 6 {
		return fmt.Errorf("%d-byte frame is not IPv4 TCP", len(f))
	}
	tcp := 14 + int(f[14]&0xf)*4
	if tcp+20 > len(f) || hdrLen != tcp+int(f[tcp+12]>>4)*4 {
		return fmt.Errorf("hdr_len %d, headers end at %d", hdrLen, tcp+int(f[tcp+12]>>4)*4)
	}
	if size == 0 || len(f)-hdrLen <= size || hdrLen-14+size > 1500 {
		return fmt.Errorf("gso_size %d for %d bytes of data", size, len(f)-hdrLen)
	}
	return nil
}
