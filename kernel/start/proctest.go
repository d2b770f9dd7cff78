//go:build proctest

package start

// A kernel for tests/qemu's process tests (go build -tags proctest): until
// the root disk is there, the root file system is a RAM disk holding the
// static program the test built as proctest/init.bin, installed as
// /bin/init.

import (
	_ "embed"
	"syscall"
	"time"

	"scone/kernel/file"
	"scone/kernel/file/diskfs"
	"scone/kernel/fs"
)

//go:embed proctest/init.bin
var proctestInit []byte

func init() {
	rootNamespace = func() (*file.Namespace, error) {
		disk, err := fs.NewRAMDisk(make([]byte, 32<<20))
		if err != nil {
			return nil, err
		}
		if _, err := fs.Format(disk, fs.FormatOptions{Now: time.Now().UnixNano()}); err != nil {
			return nil, err
		}
		f, err := fs.Mount(disk, fs.Options{})
		if err != nil {
			return nil, err
		}
		if err := f.Mkdir(nil, "/bin", 0o755); err != nil {
			return nil, err
		}
		ip, err := f.Open(nil, "/bin/init", fs.O_CREAT|syscall.O_RDWR, 0o755)
		if err != nil {
			return nil, err
		}
		if _, err := ip.WriteAt(proctestInit, 0); err != nil {
			return nil, err
		}
		ip.Close()
		return file.NewNamespace(diskfs.New(f))
	}
}
