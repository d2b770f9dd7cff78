package dns

import (
	"errors"
	"strings"
)

// Limits from RFC 1035 section 2.3.4.
const (
	maxLabel = 63
	maxName  = 255 // wire length, including length bytes and the root label
	// maxPointers bounds compression pointers followed in one name. Pointers
	// must also point backwards, which alone rules out loops; the count is
	// a second, cheap guarantee.
	maxPointers = 32
)

// Name errors.
var (
	ErrName        = errors.New("dns: malformed name")
	ErrNameLength  = errors.New("dns: name too long")
	ErrLabelLength = errors.New("dns: label too long")
	ErrPointer     = errors.New("dns: bad compression pointer")
)

// readName decodes the possibly compressed name at msg[off:] and returns it
// in text form (lower-case ASCII is not forced; bytes other than letters,
// digits, '-' and '_' are escaped as \DDD, and '.' and '\' as \. and \\)
// together with the offset just past the name's bytes at off.
func readName(msg []byte, off int) (string, int, error) {
	var sb strings.Builder
	end := -1    // where the name ends at the original position
	wire := 0    // wire length so far
	limit := off // a pointer must point before the label that holds it
	for jumps := 0; ; {
		if off >= len(msg) {
			return "", 0, ErrName
		}
		n := int(msg[off])
		switch n & 0xc0 {
		case 0x00:
			if n == 0 {
				wire++
				if end < 0 {
					end = off + 1
				}
				if wire > maxName {
					return "", 0, ErrNameLength
				}
				if sb.Len() == 0 {
					return ".", end, nil
				}
				return sb.String(), end, nil
			}
			if off+1+n > len(msg) {
				return "", 0, ErrName
			}
			wire += 1 + n
			if wire > maxName {
				return "", 0, ErrNameLength
			}
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			escapeLabel(&sb, msg[off+1:off+1+n])
			off += 1 + n
		case 0xc0:
			if off+2 > len(msg) {
				return "", 0, ErrName
			}
			ptr := int(msg[off]&0x3f)<<8 | int(msg[off+1])
			if ptr >= limit || jumps >= maxPointers {
				return "", 0, ErrPointer
			}
			jumps++
			if end < 0 {
				end = off + 2
			}
			off, limit = ptr, ptr
		default: // 0x40 and 0x80: extended and reserved label types
			return "", 0, ErrName
		}
	}
}

// escapeLabel writes one label in master-file text form.
func escapeLabel(sb *strings.Builder, l []byte) {
	for _, c := range l {
		switch {
		case c == '.' || c == '\\':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			sb.WriteByte(c)
		default:
			sb.WriteByte('\\')
			sb.WriteByte('0' + c/100)
			sb.WriteByte('0' + c/10%10)
			sb.WriteByte('0' + c%10)
		}
	}
}

// splitName turns a text name ("www.example.com", with or without the
// final dot, escapes allowed) into its wire labels.
func splitName(name string) ([][]byte, error) {
	if name == "." || name == "" {
		return nil, nil
	}
	var labels [][]byte
	var cur []byte
	wire := 1 // the root label
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '.':
			if len(cur) == 0 {
				return nil, ErrName // empty label
			}
			labels = append(labels, cur)
			wire += 1 + len(cur)
			cur = nil
			continue
		case c == '\\':
			if i+3 < len(name) && isDigit(name[i+1]) && isDigit(name[i+2]) && isDigit(name[i+3]) {
				v := int(name[i+1]-'0')*100 + int(name[i+2]-'0')*10 + int(name[i+3]-'0')
				if v > 255 {
					return nil, ErrName
				}
				c = byte(v)
				i += 3
			} else if i+1 < len(name) {
				c = name[i+1]
				i++
			} else {
				return nil, ErrName
			}
		}
		cur = append(cur, c)
		if len(cur) > maxLabel {
			return nil, ErrLabelLength
		}
	}
	if len(cur) > 0 {
		labels = append(labels, cur)
		wire += 1 + len(cur)
	}
	if wire > maxName {
		return nil, ErrNameLength
	}
	return labels, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// compressor remembers where name suffixes were written so later names can
// point at them (RFC 1035 4.1.4).
type compressor map[string]int

// appendName appends name to msg, compressed against earlier names when c
// is not nil.
func appendName(msg []byte, name string, c compressor) ([]byte, error) {
	labels, err := splitName(name)
	if err != nil {
		return nil, err
	}
	for i := range labels {
		key := suffixKey(labels[i:])
		if off, ok := c[key]; ok {
			return append(msg, 0xc0|byte(off>>8), byte(off)), nil
		}
		if c != nil && len(msg) < 0x4000 {
			c[key] = len(msg)
		}
		msg = append(msg, byte(len(labels[i])))
		msg = append(msg, labels[i]...)
	}
	return append(msg, 0), nil
}

// suffixKey is a case-insensitive map key for a run of labels.
func suffixKey(labels [][]byte) string {
	var sb strings.Builder
	for _, l := range labels {
		sb.WriteByte(byte(len(l)))
		for _, c := range l {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// canonical returns name lower-cased and without the trailing dot, the form
// used for comparisons, the cache and the hosts table.
func canonical(name string) string {
	return strings.ToLower(strings.TrimSuffix(name, "."))
}
