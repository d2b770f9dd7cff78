package start

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"scone/kernel/file"
	"scone/kernel/machine"
	"scone/kernel/proc"
	"scone/kernel/sys" // the system calls register themselves
)

// rootNamespace returns the namespace init runs in, or nil while there is
// no root file system (the virtio-blk root disk sets it; a proctest
// kernel builds one in memory).
var rootNamespace func() (*file.Namespace, error)

// runInit starts /bin/init from ns as process 1, as Linux does: argv is
// /bin/init and the kernel command-line words without '=', the
// environment the NAME=value words (those with an upper-case NAME reach
// the kernel as its own environment: see initEnv).  init opens /dev/console itself.
// When init ends, the machine stops with its status.
func runInit(ns *file.Namespace, args []string) error {
	mem := func() uint64 { return machine.Memory().FreePages }
	setFrameReserve(mem)
	proc.Kick = machine.KickUser
	if machine.TripStats() {
		plain, reload := machine.TripCalibrate(20000)
		fmt.Fprintf(os.Stdout, "tripstat: a kernel system call %d ns, with a CR3 reload %d ns\n", plain, reload)
	}
	sys.Trace = slices.Contains(args, "strace")
	proc.InitExited = func(status int) {
		code := status >> 8 & 0xff
		if status&0x7f != 0 {
			code = 128 + status&0x7f
		}
		m := machine.Memory()
		fmt.Fprintf(os.Stdout, "init exited with status %d (%d KiB free, %d KiB in user address spaces)\n",
			code, m.FreePages*m.PageSize>>10, m.UserPages*m.PageSize>>10)
		machine.Exit(uint32(code))
	}
	argv, envv := []string{"/bin/init"}, []string{"HOME=/", "PATH=/bin", "TERM=vt100"}
	envv = append(envv, initEnv(os.Environ())...)
	for _, a := range args {
		if strings.Contains(a, "=") {
			envv = append(envv, a)
		} else {
			argv = append(argv, a)
		}
	}
	fsc := ns.NewContext()
	t, err := proc.NewProcess(file.NewTable(), fsc)
	if err != nil {
		return err
	}
	fsc.SetPID(t.Proc().PID)
	if err := openConsole(t); err != nil {
		fmt.Fprintf(os.Stdout, "init: no initial console: %v\n", err) // as Linux warns
	}
	if err := t.Exec("/bin/init", argv, envv); err != nil {
		return fmt.Errorf("exec /bin/init: %w", err)
	}
	t.Start()
	return nil
}

// runtimeVars are the kernel environment's variables the Go runtime
// reads: the kernel's, not init's.
var runtimeVars = []string{"GODEBUG", "GOGC", "GOMEMLIMIT", "GOMAXPROCS", "GOTRACEBACK"}

// initEnv is the part of the kernel's environment init gets: the machine
// layer makes NAME=value words with an upper-case NAME (FUZZCALLS=N,
// INITRC=FILE) the kernel's environment, and Linux gives init every
// NAME=value parameter the kernel does not use itself.
func initEnv(kernelEnv []string) []string {
	var out []string
	for _, kv := range kernelEnv {
		name, _, ok := strings.Cut(kv, "=")
		if ok && !slices.Contains(runtimeVars, name) {
			out = append(out, kv)
		}
	}
	return out
}
