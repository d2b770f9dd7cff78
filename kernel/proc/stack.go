package proc

import "syscall"

// Auxiliary vector keys (Linux's AT_*).
const (
	atNull        = 0
	atPhdr        = 3
	atPhent       = 4
	atPhnum       = 5
	atPagesz      = 6
	atBase        = 7
	atFlags       = 8
	atEntry       = 9
	atUID         = 11
	atEUID        = 12
	atGID         = 13
	atEGID        = 14
	atPlatform    = 15
	atHwcap       = 16
	atClktck      = 17
	atSecure      = 23
	atRandom      = 25
	atHwcap2      = 26
	atExecfn      = 31
	atSysinfoEhdr = 33
)

// Limits on execve's strings, as Linux's: one string at most
// MAX_ARG_STRLEN, all of them at most a quarter of the 8 MiB stack.
const (
	maxArgStrlen = 32 * 4096
	maxArgTotal  = 2 << 20
)

// HWCap is AT_HWCAP: CPUID leaf 1's EDX, set by the kernel at boot.
var HWCap uint64

// stackImage lays out the initial stack of a new program as Linux does,
// below top: argc, argv, envp, auxv, then the strings, the 16 random
// bytes and the platform name.  It returns the stack pointer (16-byte
// aligned, at argc) and the bytes from there to top.
func stackImage(top uint64, argv, envv []string, execfn string, aux [][2]uint64, random [16]byte) (uint64, []byte, error) {
	total := 0
	for _, s := range append(append([]string{execfn}, argv...), envv...) {
		if len(s)+1 > maxArgStrlen {
			return 0, nil, syscall.E2BIG
		}
		total += len(s) + 1 + 8
	}
	if total > maxArgTotal {
		return 0, nil, syscall.E2BIG
	}
	// The string area, built downwards from top.
	var strs []byte
	addr := func(s string) uint64 {
		strs = append([]byte(s+"\x00"), strs...)
		return top - uint64(len(strs))
	}
	execAddr := addr(execfn)
	envAddrs := make([]uint64, len(envv))
	for i := len(envv) - 1; i >= 0; i-- {
		envAddrs[i] = addr(envv[i])
	}
	argAddrs := make([]uint64, len(argv))
	for i := len(argv) - 1; i >= 0; i-- {
		argAddrs[i] = addr(argv[i])
	}
	platform := addr("x86_64")
	strs = append(random[:], strs...)
	randAddr := top - uint64(len(strs))
	aux = append(aux, [2]uint64{atRandom, randAddr}, [2]uint64{atExecfn, execAddr},
		[2]uint64{atPlatform, platform}, [2]uint64{atNull, 0})
	words := 1 + len(argv) + 1 + len(envv) + 1 + 2*len(aux)
	sp := (top - uint64(len(strs)) - uint64(words*8)) &^ 15
	b := make([]byte, top-sp)
	w := b
	put := func(v uint64) { le.PutUint64(w, v); w = w[8:] }
	put(uint64(len(argv)))
	for _, a := range argAddrs {
		put(a)
	}
	put(0)
	for _, e := range envAddrs {
		put(e)
	}
	put(0)
	for _, kv := range aux {
		put(kv[0])
		put(kv[1])
	}
	copy(b[len(b)-len(strs):], strs)
	return sp, b, nil
}
