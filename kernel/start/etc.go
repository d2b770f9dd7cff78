package start

import (
	"context"
	"fmt"
	"io"
	"syscall"

	"scone/kernel/file"
	"scone/kernel/knet"
)

// writeNames keeps /etc/resolv.conf and /etc/hosts in ns true to the
// network's naming (the DHCP lease, or ip='s DNS): written now, before
// init runs, and again whenever a lease changes it, as dhclient-script
// does on Linux. So Go's resolver and `host` in the guest work as they
// come. A file that cannot be written is reported on log; boot goes on.
func writeNames(ns *file.Namespace, n *knet.Net, log io.Writer) {
	n.WatchNames(func(c knet.Names) {
		for _, f := range []struct {
			path string
			data []byte
		}{{"/etc/resolv.conf", c.ResolvConf()}, {"/etc/hosts", c.Hosts()}} {
			if err := replaceFile(ns, f.path, f.data); err != nil {
				fmt.Fprintf(log, "net: writing %s: %v\n", f.path, err)
			}
		}
	})
}

// replaceFile writes data to path through a temporary file renamed over
// it, so a reader sees the old contents or the new, never a part.
func replaceFile(ns *file.Namespace, path string, data []byte) error {
	c := ns.NewContext()
	defer c.Release()
	if err := c.Mkdir(file.Location{}, "/etc", 0o755); err != nil && err != syscall.EEXIST {
		return err
	}
	tmp := path + ".new"
	d, err := c.Open(file.Location{}, tmp, file.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = d.Write(context.Background(), data)
	if cerr := d.DecRef(); err == nil {
		err = cerr
	}
	if err == nil {
		err = c.Rename(file.Location{}, tmp, file.Location{}, path, 0)
	}
	if err != nil {
		c.Unlink(file.Location{}, tmp)
	}
	return err
}
