package procnet

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ParseUptime reads /proc/uptime ("SECONDS IDLE") and returns the first
// figure, the time since boot.
func ParseUptime(r io.Reader) (time.Duration, error) {
	b, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, fmt.Errorf("procnet: empty uptime")
	}
	s, err := strconv.ParseFloat(f[0], 64)
	if err != nil || s < 0 {
		return 0, fmt.Errorf("procnet: bad uptime %q", f[0])
	}
	return time.Duration(s * float64(time.Second)), nil
}

// ParseMeminfo reads /proc/meminfo ("Name:   1234 kB" lines) into a map
// from name to bytes. Lines without a unit are counts, kept as they are.
func ParseMeminfo(r io.Reader) (map[string]uint64, error) {
	m := make(map[string]uint64)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			return nil, fmt.Errorf("procnet: bad meminfo line %q", sc.Text())
		}
		f := strings.Fields(rest)
		if len(f) == 0 || len(f) > 2 {
			return nil, fmt.Errorf("procnet: bad meminfo line %q", sc.Text())
		}
		v, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("procnet: bad meminfo line %q", sc.Text())
		}
		if len(f) == 2 {
			if f[1] != "kB" {
				return nil, fmt.Errorf("procnet: bad meminfo unit %q", f[1])
			}
			v *= 1024
		}
		m[strings.TrimSpace(name)] = v
	}
	return m, sc.Err()
}
