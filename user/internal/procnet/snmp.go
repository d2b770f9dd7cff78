package procnet

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Counter is one named figure of a /proc/net/snmp protocol line.
type Counter struct {
	Name  string
	Value int64 // signed: Tcp's MaxConn is -1 on Linux
}

// Proto is one protocol's counters, in the file's order.
type Proto struct {
	Name     string // "Ip", "Icmp", "IcmpMsg", "Tcp", "Udp", ...
	Counters []Counter
}

// Get returns the named counter and whether it is there.
func (p Proto) Get(name string) (int64, bool) {
	for _, c := range p.Counters {
		if c.Name == name {
			return c.Value, true
		}
	}
	return 0, false
}

// ParseSNMP reads /proc/net/snmp (or /proc/net/netstat): each protocol is
// a line of names and then a line of values, both prefixed "Proto:".
func ParseSNMP(r io.Reader) ([]Proto, error) {
	var out []Proto
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 8192), 1<<20)
	for sc.Scan() {
		head := sc.Text()
		if strings.TrimSpace(head) == "" {
			continue
		}
		if !sc.Scan() {
			return nil, fmt.Errorf("procnet: snmp header %.20q has no values line", head)
		}
		vals := sc.Text()
		hp, hnames, ok1 := strings.Cut(head, ":")
		vp, vnums, ok2 := strings.Cut(vals, ":")
		if !ok1 || !ok2 || hp != vp {
			return nil, fmt.Errorf("procnet: snmp lines %.20q and %.20q do not pair", head, vals)
		}
		names, nums := strings.Fields(hnames), strings.Fields(vnums)
		if len(names) != len(nums) {
			return nil, fmt.Errorf("procnet: snmp %s has %d names but %d values", hp, len(names), len(nums))
		}
		p := Proto{Name: hp}
		for i, n := range names {
			v, err := strconv.ParseInt(nums[i], 10, 64)
			if err != nil {
				// Linux prints some counters as unsigned 64-bit.
				u, uerr := strconv.ParseUint(nums[i], 10, 64)
				if uerr != nil {
					return nil, fmt.Errorf("procnet: snmp %s %s: bad value %q", hp, n, nums[i])
				}
				v = int64(u)
			}
			p.Counters = append(p.Counters, Counter{n, v})
		}
		out = append(out, p)
	}
	return out, sc.Err()
}
