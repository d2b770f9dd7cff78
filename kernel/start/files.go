package start

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"scone/kernel/drivers/uart"
	"scone/kernel/file"
	"scone/kernel/file/devfs"
	"scone/kernel/file/procfs"
	"scone/kernel/proc"
	"scone/kernel/tty"
)

// rawWriter is the UART without its newline translation: the terminal
// does output processing itself.
type rawWriter struct{ p *uart.Port }

func (w rawWriter) Write(b []byte) (int, error) { return w.p.WriteRaw(b) }

// setupFiles joins the devices to ns: the console terminal on port, fed
// by a goroutine, /dev and /proc. A missing mount point is made, since the root
// image need not have one.
func setupFiles(ns *file.Namespace, port *uart.Port) (*tty.TTY, error) {
	console := tty.New(rawWriter{port}, signalGroup)
	proc.LeaderExited = console.LeaderExited
	go func() {
		err := console.Run(port)
		fmt.Fprintf(os.Stdout, "tty: console input ended: %v\n", err)
	}()
	if err := mountAt(ns, "/dev", devfs.New(console)); err != nil {
		return nil, fmt.Errorf("mount /dev: %w", err)
	}
	if err := mountAt(ns, "/proc", procfs.New(procInfo{console, ns})); err != nil {
		return nil, fmt.Errorf("mount /proc: %w", err)
	}
	return console, nil
}

// mountAt mounts fsys on dir, making dir if it is missing.
func mountAt(ns *file.Namespace, dir string, fsys file.FileSystem) error {
	err := ns.Mount(dir, fsys)
	if errors.Is(err, syscall.ENOENT) {
		c := ns.NewContext()
		err = c.Mkdir(file.Location{}, dir, 0o755)
		c.Release()
		if err == nil {
			err = ns.Mount(dir, fsys)
		}
	}
	return err
}

// signalGroup sends sig to process group pgid: the terminal's ^C and ^\.
func signalGroup(pgid, sig int) {
	for _, p := range proc.Group(pgid) {
		p.Send(sig, proc.SigInfo{Signo: int32(sig), Code: 0x80}) // SI_KERNEL, as Linux's tty signals
	}
}

// openConsole gives init descriptors 0, 1 and 2 on /dev/console, as
// Linux's kernel does before it runs init.
func openConsole(t *proc.Thread) error {
	d, err := t.Proc().FS.Open(file.Location{}, "/dev/console", file.O_RDWR, 0)
	if err != nil {
		return err
	}
	tab := t.Proc().Files
	if _, err := tab.Install(d, 0, false); err != nil {
		d.DecRef()
		return err
	}
	for fd := 1; fd <= 2; fd++ {
		if _, err := tab.Dup2(0, fd, false); err != nil {
			return err
		}
	}
	return nil
}
