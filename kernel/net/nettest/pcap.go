package nettest

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// PcapEnv names the environment variable that, set to a directory, makes
// every Pair record its link to <dir>/<test name>.pcap for Wireshark or
// tcpdump -r: the first thing to look at when a stack test fails.
const PcapEnv = "SCONE_NET_PCAP"

// Pcap writes frames to a pcap file. It is safe for concurrent use.
type Pcap struct {
	mu sync.Mutex
	f  *os.File
	w  *pcapgo.Writer
}

// CreatePcap creates path and writes the pcap file header.
func CreatePcap(path string) (*Pcap, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	w := pcapgo.NewWriterNanos(f)
	if err := w.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		f.Close()
		return nil, err
	}
	return &Pcap{f: f, w: w}, nil
}

// Write records one frame with the current time.
func (p *Pcap) Write(frame []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ci := gopacket.CaptureInfo{Timestamp: time.Now(), CaptureLength: len(frame), Length: len(frame)}
	p.w.WritePacket(ci, frame) // a failed write only loses debugging output
}

// Close closes the file.
func (p *Pcap) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.f.Close()
}

// pcapFor opens the capture file for tb if PcapEnv is set, or returns nil.
func pcapFor(tb testing.TB) *Pcap {
	dir := os.Getenv(PcapEnv)
	if dir == "" {
		return nil
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(tb.Name()) + ".pcap"
	p, err := CreatePcap(filepath.Join(dir, name))
	if err != nil {
		tb.Logf("no capture: %v", err)
		return nil
	}
	tb.Cleanup(func() { p.Close() })
	return p
}
