package sys

import (
	"encoding/binary"
	"syscall"

	"scone/kernel/proc"
)

var le = binary.LittleEndian

// Helpers for user memory: every one fails with EFAULT on a bad address.

func readU64(t *proc.Thread, va uintptr) (uint64, error) {
	var b [8]byte
	if err := t.Mem().CopyIn(b[:], va); err != nil {
		return 0, err
	}
	return le.Uint64(b[:]), nil
}

func writeU64s(t *proc.Thread, va uintptr, vs ...uint64) error {
	b := make([]byte, 8*len(vs))
	for i, v := range vs {
		le.PutUint64(b[8*i:], v)
	}
	return t.Mem().CopyOut(va, b)
}

func writeU32(t *proc.Thread, va uintptr, v uint32) error {
	var b [4]byte
	le.PutUint32(b[:], v)
	return t.Mem().CopyOut(va, b[:])
}

// readStrings reads a NULL-terminated array of string pointers (argv,
// envp): E2BIG past Linux's limits.
func readStrings(t *proc.Thread, va uintptr) ([]string, error) {
	var out []string
	if va == 0 {
		return nil, nil
	}
	total := 0
	for i := 0; ; i++ {
		if i >= 1<<17 {
			return nil, syscall.E2BIG
		}
		p, err := readU64(t, va+uintptr(8*i))
		if err != nil {
			return nil, err
		}
		if p == 0 {
			return out, nil
		}
		s, err := t.Mem().CopyInString(uintptr(p), 32*4096)
		if err == syscall.ENAMETOOLONG {
			return nil, syscall.E2BIG
		}
		if err != nil {
			return nil, err
		}
		if total += len(s) + 1 + 8; total > 2<<20 {
			return nil, syscall.E2BIG
		}
		out = append(out, s)
	}
}

// readPath reads a path argument (ENAMETOOLONG past PATH_MAX).
func readPath(t *proc.Thread, va uintptr) (string, error) {
	return t.Mem().CopyInString(va, 4096)
}
