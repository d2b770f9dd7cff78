package qemu

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"scone/kernel/fs"
	"scone/kernel/fs/fsdev"
	"scone/kernel/fs/fsload"
	"scone/tools/runqemu"
)

// diskTimeout bounds a disk workload run under TCG (diskwrite=40 takes
// about a second).
const diskTimeout = 2 * time.Minute

// newImage makes an empty 64 MiB file system image for a test.
func newImage(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fs.img")
	dev, err := fsdev.CreateFile(path, 64<<20/fs.BlockSize)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if _, err := fs.Format(dev, fs.FormatOptions{}); err != nil {
		t.Fatal(err)
	}
	return path
}

// fsck runs the host's `go run ./tools/fsck -ls` on img and returns the
// listing as path -> sha256 ("-" for non-files). It fails the test unless
// fsck calls the image clean.
func fsck(t *testing.T, img string) map[string]string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to run tools/fsck: %v", err)
	}
	cmd := exec.Command(goCmd, "run", "./tools/fsck", "-ls", img)
	cmd.Dir = repoRoot(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("fsck %s: %v\n%s", img, err, out)
	}
	files := map[string]string{}
	clean := false
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "fsck: ") {
			clean = clean || strings.Contains(line, ": clean: ")
			continue
		}
		if f := strings.Fields(line); len(f) == 3 {
			files[f[0]] = f[2]
		}
	}
	if !clean {
		t.Fatalf("fsck does not call %s clean:\n%s", img, out)
	}
	return files
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestDiskWrite boots with a root disk, transitional and modern-only; the
// kernel writes fsload's files through kernel/fs and virtio-blk and halts;
// the host's fsck finds every file with the right contents.
func TestDiskWrite(t *testing.T) {
	const n = 40
	for _, modern := range []bool{false, true} {
		name, id := "transitional", "1af4:1001"
		if modern {
			name, id = "modern", "1af4:1042"
		}
		t.Run(name, func(t *testing.T) {
			img := newImage(t)
			s := bootConfig(t, runqemu.Config{NIC: "e1000", Disk: img, DiskModern: modern, KArgs: fmt.Sprintf("diskwrite=%d", n)})
			expect(t, s, `disk: virtio-blk at 00:[0-9a-f.]+ \(`+id+`\), 64 MiB, mounted as /`, bootTimeout)
			expect(t, s, fmt.Sprintf(`diskwrite: wrote %d files`, n), diskTimeout)
			wantExit(t, s, 0)
			files := fsck(t, img)
			for i := 0; i < n; i++ {
				if got, want := files[fsload.Name(i)], sum(fsload.Content(i)); got != want {
					t.Errorf("%s: sha256 %q, want %s", fsload.Name(i), got, want)
				}
			}
		})
	}
}

// TestDiskCrash kills QEMU in the middle of a write workload (files
// rewritten, renamed over each other and deleted), then boots again: the
// mount recovers the journal, and the host's fsck finds a consistent file
// system in which every surviving file holds exactly what one of the
// workload's writes put there.
func TestDiskCrash(t *testing.T) {
	img := newImage(t)
	s := bootConfig(t, runqemu.Config{NIC: "e1000", Disk: img, KArgs: "diskchurn"})
	// The root commits every few seconds (or when its journal fills), not
	// at each operation: kill it once several commits have landed, so
	// that recovery has transactions to replay and files to keep.
	roundRe := regexp.MustCompile(`diskchurn: round (\d+), (\d+) commits`)
	rounds, commits := 0, 0
	for deadline := time.Now().Add(diskTimeout); rounds < 3 || commits < 3; {
		if time.Now().After(deadline) {
			t.Fatalf("diskchurn made %d commits in %d rounds within %v", commits, rounds, diskTimeout)
		}
		m := roundRe.FindStringSubmatch(expect(t, s, roundRe.String(), diskTimeout))
		rounds, _ = strconv.Atoi(m[1])
		commits, _ = strconv.Atoi(m[2])
	}
	s.Kill()
	s.Wait(exitTimeout)
	for _, m := range regexp.MustCompile(`diskchurn: round (\d+)`).FindAllStringSubmatch(s.Output(), -1) {
		rounds, _ = strconv.Atoi(m[1])
	}

	s = bootConfig(t, runqemu.Config{NIC: "e1000", Disk: img, KArgs: "diskwrite=1"})
	m := expect(t, s, `mounted as / \(journal: \d+ blocks replayed, \d+ orphans freed\)`, bootTimeout)
	t.Logf("after the kill in round %d: %s", rounds+1, m)
	expect(t, s, `diskwrite: wrote 1 files`, diskTimeout)
	wantExit(t, s, 0)

	// A cN file is whole: it is renamed into place after its write. A
	// tmpN file can also hold a prefix: it is created (empty) in one
	// transaction and written in others of at most a few blocks each, so
	// a crash can leave it empty or cut at a block boundary.
	written, prefixes := map[string]bool{}, map[string]bool{}
	for j := 0; j < (rounds+2)*16; j++ {
		c := fsload.Content(j)
		written[sum(c)] = true
		for p := 0; p < len(c); p += fs.BlockSize {
			prefixes[sum(c[:p])] = true
		}
	}
	files := fsck(t, img)
	churned := 0
	for path, h := range files {
		if !strings.HasPrefix(path, fsload.ChurnDir+"/") || h == "-" {
			continue // not a churned regular file
		}
		churned++
		tmp := strings.HasPrefix(path, fsload.ChurnDir+"/tmp")
		if !written[h] && !(tmp && prefixes[h]) {
			t.Errorf("%s holds contents the workload never wrote (sha256 %s)", path, h)
		}
	}
	if churned == 0 {
		t.Errorf("no files under %s survived %d rounds", fsload.ChurnDir, rounds)
	}
}

// TestDiskUnformatted attaches a disk with no file system: the kernel says
// why it cannot mount it and lives on to its console.
func TestDiskUnformatted(t *testing.T) {
	img := filepath.Join(t.TempDir(), "zero.img")
	dev, err := fsdev.CreateFile(img, 16<<20/fs.BlockSize)
	if err != nil {
		t.Fatal(err)
	}
	dev.Close()
	s := bootConfig(t, runqemu.Config{NIC: "e1000", Disk: img})
	expect(t, s, `disk: virtio-blk at 00:[0-9a-f.]+ \(1af4:1001\): cannot mount the root file system: .*superblock.*; running without one`, bootTimeout)
	expect(t, s, prompt.String(), bootTimeout)
	if err := s.Send("halt\r"); err != nil {
		t.Fatal(err)
	}
	wantExit(t, s, 0)
}
