// Package qemu holds the boot tests: host Go tests that boot the images
// `make build` wrote under build/ in QEMU (through tools/runqemu, the same
// command line `make qemu` uses), drive the serial console and check what
// the kernel prints and the status it exits with. Every wait is for an
// event, bounded by a timeout.
package qemu
