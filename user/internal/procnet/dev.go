package procnet

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// IfStats is one interface's line of /proc/net/dev.
type IfStats struct {
	Name string
	// Receive: bytes packets errs drop fifo frame compressed multicast.
	RxBytes, RxPackets, RxErrs, RxDrop, RxFifo, RxFrame, RxCompressed, RxMulticast uint64
	// Transmit: bytes packets errs drop fifo colls carrier compressed.
	TxBytes, TxPackets, TxErrs, TxDrop, TxFifo, TxColls, TxCarrier, TxCompressed uint64
}

// ParseDev reads /proc/net/dev: two header lines, then "name: 16 counters"
// per interface, in the kernel's order.
func ParseDev(r io.Reader) ([]IfStats, error) {
	var out []IfStats
	sc := bufio.NewScanner(r)
	for n := 0; sc.Scan(); n++ {
		if n < 2 {
			continue // the two header lines
		}
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			return nil, fmt.Errorf("procnet: bad /proc/net/dev line %q", sc.Text())
		}
		f := strings.Fields(rest)
		if len(f) != 16 {
			return nil, fmt.Errorf("procnet: /proc/net/dev line for %q has %d counters, want 16", strings.TrimSpace(name), len(f))
		}
		var v [16]uint64
		for i, s := range f {
			x, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("procnet: bad counter %q for %q", s, strings.TrimSpace(name))
			}
			v[i] = x
		}
		out = append(out, IfStats{
			Name:    strings.TrimSpace(name),
			RxBytes: v[0], RxPackets: v[1], RxErrs: v[2], RxDrop: v[3],
			RxFifo: v[4], RxFrame: v[5], RxCompressed: v[6], RxMulticast: v[7],
			TxBytes: v[8], TxPackets: v[9], TxErrs: v[10], TxDrop: v[11],
			TxFifo: v[12], TxColls: v[13], TxCarrier: v[14], TxCompressed: v[15],
		})
	}
	return out, sc.Err()
}
