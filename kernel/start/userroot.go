//go:build userroot

package start

// EXPERIMENT (not for main): a RAM-disk root holding the user programs.

import (
	"embed"
	"syscall"
	"time"

	"scone/kernel/file"
	"scone/kernel/file/diskfs"
	"scone/kernel/fs"
)

//go:embed userroot
var userRoot embed.FS

var userTools = []string{"cat", "cp", "date", "df", "echo", "env", "false", "free", "grep", "halt", "head", "hexdump", "kill", "ln", "ls", "mkdir", "mv", "ps", "rm", "rmdir", "sleep", "stat", "sync", "tail", "touch", "true", "uname", "wc"}

func init() {
	rootNamespace = func() (*file.Namespace, error) {
		disk, err := fs.NewRAMDisk(make([]byte, 96<<20))
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
		for _, d := range []string{"/bin", "/tmp", "/etc"} {
			if err := f.Mkdir(nil, d, 0o777); err != nil {
				return nil, err
			}
		}
		es, _ := userRoot.ReadDir("userroot")
		for _, e := range es {
			b, _ := userRoot.ReadFile("userroot/" + e.Name())
			ip, err := f.Open(nil, "/bin/"+e.Name(), fs.O_CREAT|syscall.O_RDWR, 0o755)
			if err != nil {
				return nil, err
			}
			if _, err := ip.WriteAt(b, 0); err != nil {
				return nil, err
			}
			ip.Close()
		}
		for _, t := range userTools {
			if err := f.Link(nil, "/bin/coreutils", nil, "/bin/"+t); err != nil {
				return nil, err
			}
		}
		return file.NewNamespace(diskfs.New(f))
	}
}
