//go:build e2elocal

package start

// LOCAL ONLY, not committed: a RAM-disk root made from a mkfs image.

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"

	"scone/kernel/file"
	"scone/kernel/file/diskfs"
	"scone/kernel/fs"
)

//go:embed proctest/e2e.img.gz
var e2eImage []byte

func init() {
	rootNamespace = func() (*file.Namespace, error) {
		zr, err := gzip.NewReader(bytes.NewReader(e2eImage))
		if err != nil {
			return nil, err
		}
		img, err := io.ReadAll(zr)
		if err != nil {
			return nil, err
		}
		disk, err := fs.NewRAMDisk(img)
		if err != nil {
			return nil, err
		}
		f, err := fs.Mount(disk, fs.Options{})
		if err != nil {
			return nil, err
		}
		return file.NewNamespace(diskfs.New(f))
	}
}
