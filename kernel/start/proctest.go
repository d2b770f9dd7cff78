//go:build proctest

package start

// A kernel for tests/qemu's process tests (go build -tags proctest): its
// root file system is a RAM disk made at boot from the directory tree
// proctest/root (ignored by git), which the test fills: at least
// bin/init.  Files under bin/ are executable; a file "links" lists hard
// links to make.

import (
	"embed"
	"io/fs"
	"path"
	"strings"
	"syscall"
	"time"

	"scone/kernel/file"
	"scone/kernel/file/diskfs"
	kfs "scone/kernel/fs"
)

//go:embed all:proctest/root
var proctestRoot embed.FS

func init() {
	rootNamespace = func() (*file.Namespace, error) {
		disk, err := kfs.NewRAMDisk(make([]byte, 64<<20))
		if err != nil {
			return nil, err
		}
		if _, err := kfs.Format(disk, kfs.FormatOptions{Now: time.Now().UnixNano()}); err != nil {
			return nil, err
		}
		f, err := kfs.Mount(disk, kfs.Options{})
		if err != nil {
			return nil, err
		}
		err = fs.WalkDir(proctestRoot, "proctest/root", func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == "proctest/root" {
				return err
			}
			name := strings.TrimPrefix(p, "proctest/root")
			if d.IsDir() {
				return f.Mkdir(nil, nil, name, 0o755)
			}
			data, err := proctestRoot.ReadFile(p)
			if err != nil {
				return err
			}
			mode := uint32(0o644)
			if path.Dir(name) == "/bin" {
				mode = 0o755
			}
			ip, err := f.Open(nil, nil, name, kfs.O_CREAT|syscall.O_RDWR, mode)
			if err != nil {
				return err
			}
			defer ip.Close()
			_, err = ip.WriteAt(data, 0)
			return err
		})
		if err != nil {
			return nil, err
		}
		// proctest/root/links: "target name" lines, made hard links, so
		// a multi-call binary is embedded once.
		links, _ := proctestRoot.ReadFile("proctest/root/links")
		for _, l := range strings.Split(string(links), "\n") {
			if w := strings.Fields(l); len(w) == 2 {
				if err := f.Link(nil, nil, w[0], nil, w[1], false); err != nil {
					return nil, err
				}
			}
		}
		return file.NewNamespace(diskfs.New(f))
	}
}
