package start

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"scone/kernel/drivers/pci"
	"scone/kernel/drivers/virtio"
	"scone/kernel/drivers/virtioblk"
	"scone/kernel/file"
	"scone/kernel/file/diskfs"
	"scone/kernel/fs"
	"scone/kernel/fs/fsload"
	"scone/kernel/machine"
)

// root is the file system mounted from the virtio-blk disk, nil if none;
// rootDisk is the device under it.
var (
	root     *fs.FS
	rootDisk *virtioblk.Disk
)

// rootCommit is how long the root's operations may wait for their journal
// commit (ext4's default commit interval): they share one commit and one
// device barrier, and a power cut loses at most this much of the work not
// covered by sync or fsync (docs/fs.md, "Durability").
const rootCommit = 5 * time.Second

// Root returns the root file system, or nil when the machine has no disk
// or the disk did not mount.
func Root() *fs.FS { return root }

// virtioMachine is the machine layer as the virtio transport sees it.
type virtioMachine struct{}

func (virtioMachine) MapMMIO(phys, size uintptr) (virtio.Regs, error) {
	return machine.MapMMIO(phys, size)
}

func (virtioMachine) AllocDMA(size int) (virtio.DMA, error) {
	d, err := machine.AllocDMA(size)
	return virtio.DMA{Mem: d.Mem, Phys: uint64(d.Phys)}, err
}

func (virtioMachine) WaitIRQ(irq int) error { return machine.WaitIRQ(irq) }

// mountRoot opens the first virtio-blk device and mounts it as the root,
// which replays the journal a crash left. Whatever fails is said in one
// line and the kernel goes on without a root.
func mountRoot(devs []pci.Device, log io.Writer) {
	trans, modern := virtio.DeviceIDs(virtio.TypeBlock)
	for _, d := range devs {
		if d.Vendor != virtio.Vendor || d.Device != trans && d.Device != modern {
			continue
		}
		disk, err := virtioblk.Open(pci.Mech1{P: hw{}}, d, virtioMachine{})
		if err != nil {
			fmt.Fprintf(log, "disk: virtio-blk at %s: %v; no root file system\n", d.Addr, err)
			return
		}
		f, err := fs.Mount(disk, fs.Options{CommitInterval: rootCommit})
		if err != nil {
			fmt.Fprintf(log, "disk: virtio-blk at %s (%s): cannot mount the root file system: %v; running without one\n", d.Addr, d.ID(), err)
			return
		}
		replayed, orphans := f.MountInfo()
		fmt.Fprintf(log, "disk: virtio-blk at %s (%s), %d MiB, mounted as / (journal: %d blocks replayed, %d orphans freed)\n",
			d.Addr, d.ID(), disk.NumBlocks()*fs.BlockSize>>20, replayed, orphans)
		root, rootDisk = f, disk
		if rootNamespace == nil {
			if st, err := f.Stat(nil, nil, "/bin/init"); err == nil && st.Mode&0o111 != 0 {
				rootNamespace = func() (*file.Namespace, error) { return file.NewNamespace(diskfs.New(f)) }
			} else {
				fmt.Fprintln(log, "disk: no /bin/init on the root; the kernel console runs instead")
			}
		}
		return
	}
	fmt.Fprintln(log, "disk: no virtio-blk device; no root file system")
}

// syncRoot makes everything written to the root durable, before a halt.
func syncRoot() {
	if root != nil {
		if err := root.Sync(); err != nil {
			fmt.Fprintf(os.Stdout, "disk: sync: %v\n", err)
		}
	}
}

// diskWork runs the disk workload the command line asks for, if any, and
// then ends the machine (never, for diskchurn: the test kills QEMU):
//
//	diskwrite=N   write fsload's N files under /disktest, sync, halt
//	diskchurn     rewrite, rename and delete files until killed; each
//	              round's line says how many commits the root has made
//	diskbench=M   write an M MiB file, sync, read it back; print MB/s;
//	              then read the disk's first M MiB raw, with 1 and with 8
//	              requests in flight
func diskWork(args []string, log io.Writer) {
	for _, a := range args {
		name, val, _ := strings.Cut(a, "=")
		var err error
		switch name {
		case "diskwrite", "diskchurn", "diskbench":
			if root == nil {
				fmt.Fprintf(log, "%s: no root file system\n", name)
				machine.Exit(1)
			}
		default:
			continue
		}
		switch name {
		case "diskwrite":
			var n int
			if n, err = strconv.Atoi(val); err == nil {
				err = fsload.WriteFiles(root, n)
			}
			if err == nil {
				fmt.Fprintf(log, "diskwrite: wrote %d files under %s\n", n, fsload.Dir)
			}
		case "diskchurn":
			err = fsload.Churn(context.Background(), root, func(k int) {
				fmt.Fprintf(log, "diskchurn: round %d, %d commits\n", k, root.Stats().Commits)
			})
		case "diskbench":
			var mib int
			if mib, err = strconv.Atoi(val); err == nil {
				var r fsload.Result
				r, err = fsload.Bench(root, "/diskbench", int64(mib)<<20)
				if err == nil {
					fmt.Fprintf(log, "diskbench: %d MiB: write %.1f MB/s (%v, with sync), read %.1f MB/s (%v)\n",
						mib, fsload.MBps(r.Bytes, r.Write), r.Write, fsload.MBps(r.Bytes, r.Read), r.Read)
				}
				for _, par := range []int{1, 8} {
					if err == nil {
						err = rawRead(log, uint64(mib)<<20/fs.BlockSize, par)
					}
				}
			}
		}
		if err == nil {
			err = root.Sync()
		}
		if err != nil {
			fmt.Fprintf(log, "%s: %v\n", name, err)
			machine.Exit(1)
		}
		machine.Exit(0)
	}
}

// rawRead reads the disk's first n blocks with par goroutines, each
// taking every par-th block, and prints the rate: the driver's speed with
// no file system above it.
func rawRead(log io.Writer, n uint64, par int) error {
	n = min(n, rootDisk.NumBlocks())
	start := time.Now()
	errs := make(chan error, par)
	for g := 0; g < par; g++ {
		go func() {
			b := make([]byte, fs.BlockSize)
			for i := uint64(g); i < n; i += uint64(par) {
				if err := rootDisk.ReadBlock(i, b); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	var err error
	for g := 0; g < par; g++ {
		if e := <-errs; e != nil {
			err = e
		}
	}
	d := time.Since(start)
	if err == nil {
		fmt.Fprintf(log, "diskbench: raw read of %d MiB, %d in flight: %.1f MB/s (%v, %.0f µs a request)\n",
			n*fs.BlockSize>>20, par, fsload.MBps(int64(n*fs.BlockSize), d), d, float64(d.Microseconds())*float64(par)/float64(n))
	}
	return err
}
