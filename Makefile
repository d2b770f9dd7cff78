# Scone: build, run and test.
#
#   make qemu    build everything and boot Scone in QEMU (serial console here)
#   make test    vet, host unit tests, short fuzzing, and the QEMU boot tests
#
# Both install the Debian packages they need first (see `deps`).

GO       ?= go
FUZZTIME ?= 3s
export GOTOOLCHAIN := local
export CGO_ENABLED := 0

# Debian packages the build and the tests use, as command:package pairs.
NEEDS := qemu-system-x86_64:qemu-system-x86 objdump:binutils \
	dnsmasq:dnsmasq-base nft:nftables ip:iproute2 curl:curl tcpdump:tcpdump \
	ping:iputils-ping musl-gcc:musl-tools sysctl:procps gdb:gdb \
	busybox:busybox-static

.PHONY: all deps vet unit fuzz fuzz-long test scale-proc soak-sockets bench-net bench-fs build qemu bench-boot bench-qemu bench-deps bench-proc kcheck user rootfs bench-disk fuzz-syscalls grade e2e-net qemu-gdb gdb FORCE

all: build

# The kernel is two files: build/boot.elf, the 32-bit multiboot stub QEMU's
# -kernel loads, and build/kernel.elf, the Go kernel it loads as a module
# (-initrd).  -E makes machine.entry, which sets the CPU up for the Go
# runtime, the ELF entry point.
BOOT   := build/boot.elf
KERNEL := build/kernel.elf

build: $(BOOT) $(KERNEL) user

$(BOOT): boot/boot.S boot/boot.ld
	@mkdir -p build
	as --32 -o build/boot.o boot/boot.S
	ld -m elf_i386 -T boot/boot.ld -o $@ build/boot.o

# Always rebuilt: go build knows what changed.
$(KERNEL): FORCE
	@mkdir -p build
	$(GO) build -o $@ -ldflags "-E scone/kernel/machine.entry" ./kernel/cmd/scone

FORCE:

# user builds the user programs, each user/<name> (Go, static) into
# build/root/bin/<name>.  The small tools are one binary, coreutils, with a
# hard link per tool; user/c/<name>.c are static musl C programs, built
# into build/root/bin/c-<name> when musl-gcc is installed (deps does).
# -s -w drops the symbol tables (a third of each binary); Go panics still
# print function names and lines from pclntab.
user: FORCE
	@mkdir -p build/root/bin
	$(GO) build -ldflags="-s -w" -o build/root/bin/ ./user/...
	@cd build/root/bin && for t in $$(./coreutils --list); do ln -f coreutils $$t; done
	@if command -v musl-gcc >/dev/null; then for c in user/c/*.c; do \
		[ -e "$$c" ] || continue; n=$$(basename $$c .c); \
		musl-gcc -static -O2 -Wall -o build/root/bin/c-$$n $$c -lpthread || exit 1; \
	done; fi

# rootfs stages build/root/: the user programs `user` built into
# build/root/bin, then root/'s checked-in files (/etc, /www, ...) over
# them and an empty /tmp (mode 1777, which git cannot hold), then the tree
# of ROOT_EXTRA=DIR if given; tools/mkfs makes build/fs.img (FS_SIZE,
# sparse) from it.  Everything but bin/ is staged afresh each time, so a
# file dropped from root/ or from ROOT_EXTRA leaves the image too.  `make qemu` attaches the image
# over virtio-blk and the kernel mounts it as /.
ROOT_EXTRA ?=
FS_SIZE    ?= 256M
FSIMG      := build/fs.img

rootfs: user
	find build/root -mindepth 1 -maxdepth 1 ! -name bin -exec rm -rf {} +
	cp -a root/. build/root/
	install -d -m 1777 build/root/tmp
	@if [ -n "$(ROOT_EXTRA)" ]; then \
		[ -d "$(ROOT_EXTRA)" ] || { echo "rootfs: ROOT_EXTRA=$(ROOT_EXTRA) is not a directory"; exit 1; }; \
		cp -a "$(ROOT_EXTRA)/." build/root/; \
	fi
	$(GO) run ./tools/mkfs -o $(FSIMG) -size $(FS_SIZE) build/root

# fuzz-syscalls boots Scone to make 1,000,000 random system calls
# (user/syscallfuzz, run by init for the word syscallfuzz).
fuzz-syscalls:
	$(MAKE) qemu KARGS="syscallfuzz FUZZCALLS=1000000"

# qemu-usertests runs the user-space suites in the guest alone (tests/
# qemu; make test runs them too): usertests, 100,000 fuzzed calls, the C
# signal program.
qemu-usertests: deps build
	$(GO) test -count=1 -run 'TestUsertests|TestSyscallFuzz|TestCSignals' -timeout 30m -v ./tests/qemu

# qemu boots the kernel with the serial console on this terminal (Ctrl-A X
# quits).  ACCEL=kvm opts in to KVM, NIC=virtio picks virtio-net, PORT is
# the host port forwarded to the guest's port 80, KARGS the command line.
ACCEL ?= tcg
NIC   ?= e1000
PORT  ?= 25502
# DAYTIME is the host port make qemu forwards to the guest's port 13
# (`daytime -l`).
DAYTIME ?= 25513
KARGS ?=

qemu: deps build rootfs
	$(GO) build -o build/runqemu ./tools/runqemu/cmd/runqemu
	build/runqemu -accel=$(ACCEL) -nic=$(NIC) -port=$(PORT) -kargs='$(KARGS)' -hostfwd=tcp::$(DAYTIME)-:13 -disk=$(FSIMG)

# qemu-gdb is `make qemu` with QEMU's gdb stub on 127.0.0.1:GDBPORT and
# the CPU stopped before its first instruction; in another terminal,
# `make gdb` attaches with the kernel ELF's Go symbols and Go's
# runtime-gdb.py (info goroutines, goroutine N bt), e.g.
# `break 'scone/kernel/start.Main'`, `continue`, `bt`.  docs/debugging.md.
GDBPORT ?= 1234

qemu-gdb: deps build rootfs
	$(GO) build -o build/runqemu ./tools/runqemu/cmd/runqemu
	@echo "qemu-gdb: waiting for a debugger on 127.0.0.1:$(GDBPORT): run \`make gdb\` in another terminal"
	build/runqemu -accel=$(ACCEL) -nic=$(NIC) -port=$(PORT) -kargs='$(KARGS)' -hostfwd=tcp::$(DAYTIME)-:13 -disk=$(FSIMG) -gdb=$(GDBPORT)

gdb: deps
	gdb -q -iex "add-auto-load-safe-path $$($(GO) env GOROOT)/src/runtime" \
		-ex "target remote 127.0.0.1:$(GDBPORT)" $(KERNEL)

# grade is the MIT network lab's grading run: dnsmasq (tools/nettest/
# dnsmasq.conf, on the host's 127.0.0.1:53), the host peer (tools/nettest)
# and QEMU with the lab's UDP ports forwarded; the guest's shell runs
# `nettest grade`; each test's OK or FAIL and the score are printed.
grade: deps build rootfs
	$(GO) run ./tools/grade -nic=$(NIC) -accel=$(ACCEL) -disk=$(FSIMG)

# e2e-net runs all of issue 10's end-to-end tests of the network programs
# in the guest (tests/qemu/netprog*_test.go): those in make test (httpd to
# curl with each NIC, daytime -l, the clients, nc 64 MiB each way) and
# TestNameFiles (/etc/resolv.conf and /etc/hosts from the lease), all of
# which make test runs too.
e2e-net: deps build
	$(GO) test -count=1 -run 'TestHttpdCurl|TestDaytimeServer|TestClients|TestNc64MiB|TestNameFiles' -timeout 30m ./tests/qemu

# bench-disk boots with a scratch copy of the root image and runs the
# kernel's diskbench: a 64 MiB file written (with sync) and read back
# through kernel/fs on virtio-blk, then raw 4 KiB reads with 1 and 8
# requests in flight; it prints MB/s.
bench-disk: deps build rootfs
	$(GO) build -o build/runqemu ./tools/runqemu/cmd/runqemu
	cp $(FSIMG) build/bench-fs.img
	build/runqemu -accel=$(ACCEL) -kargs='diskbench=64' -disk=build/bench-fs.img </dev/null | grep '^diskbench'
	rm -f build/bench-fs.img

# bench-boot prints the time from QEMU's start to the prompt (median of 5)
# and the memory the kernel holds after boot.
bench-boot: deps build
	$(GO) run ./tools/bootbench

# bench-qemu sets Scone's user-space httpd (started by init from /etc/rc
# in a copy of the root image) beside a Linux guest built from Debian's
# packages (linux-image-amd64's kernel and NIC modules, busybox-static as
# init and httpd) under the same QEMU command line, one table per NIC:
# time to the first HTTP 200 and its boot milestones, curl latency, wrk
# -c8/-c64 requests/s with and without keep-alive, 1 MiB and 64 MiB GETs,
# and the kernel's longest GC pause during wrk (docs/netprog.md). It
# prints figures and asserts nothing; `go run ./tools/benchqemu -h` for
# its options (-responder adds the in-kernel responder).
BENCH_NEEDS := busybox:busybox-static wrk:wrk dpkg-deb:dpkg
bench-qemu: bench-deps build rootfs
	$(GO) run ./tools/benchqemu

# bench-deps installs what the Linux reference guest needs (BENCH_NEEDS).
bench-deps: deps
	@missing=""; for n in $(BENCH_NEEDS); do \
		command -v $${n%%:*} >/dev/null 2>&1 || missing="$$missing $${n#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "bench-deps: installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# bench-proc runs user/procbench (null system call, fork+exit, fork+exec,
# pipes, small files, a 64 MiB read) on Scone from a scratch copy of the
# root image and on the Linux guest of bench-qemu (busybox, /tmp on
# tmpfs) under the same QEMU command line, and prints a table: Linux,
# Scone, Scone/Linux, plus QEMU start to the prompt. It asserts nothing.
# PROCBENCH_FLAGS passes tools/procbench's flags, such as
# PROCBENCH_FLAGS="-before old-kernel.elf -kargs tripstat" (docs/user.md).
bench-proc: bench-deps build rootfs
	$(GO) run ./tools/procbench $(PROCBENCH_FLAGS)

# kcheck proves by disassembly that kernel-context code (trap and syscall
# handlers, the thread switch) never allocates, grows a stack or hits a
# write barrier.
kcheck: build
	$(GO) run ./tools/kcheck $(KERNEL)

# deps installs whatever of NEEDS is missing (we run as root on Debian).
deps:
	@missing=""; for n in $(NEEDS); do \
		command -v $${n%%:*} >/dev/null 2>&1 || missing="$$missing $${n#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# vet fails on unformatted files as well as on vet findings.
vet:
	@bad=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$bad" ]; then echo "gofmt needed:"; echo "$$bad"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -count=1 -timeout 30m ./...

# fuzz runs every Fuzz target in the module for FUZZTIME each.  Go 1.26's
# fuzzing engine can fail a target with a bare "context deadline exceeded"
# just as FUZZTIME runs out, on a loaded machine (go.dev/issue/75804).  Such
# a run found nothing (a real finding writes a failing input), so the
# target's corpus is replayed instead, and only a failure there fails it;
# the aborted run's output is still shown, each line marked.
fuzz:
	@set -e; log=$$(mktemp); trap 'rm -f $$log' EXIT; \
	for f in $$(grep -rl --include='*_test.go' '^func Fuzz' . | grep -v '^./bench/'); do \
		pkg=./$$(dirname $${f#./}); \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "fuzz $$pkg $$t ($(FUZZTIME))"; \
			if $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg >$$log 2>&1; then \
				cat $$log; \
			elif grep -q 'context deadline exceeded' $$log && ! grep -q 'Failing input written' $$log; then \
				sed 's/^/fuzztime race | /' $$log; \
				echo "fuzz: $$t hit Go's fuzztime shutdown race (go.dev/issue/75804); replaying its corpus"; \
				$(GO) test -count=1 -run "^$$t\$$" $$pkg; \
			else \
				cat $$log; exit 1; \
			fi; \
		done; \
	done

fuzz-long:
	$(MAKE) fuzz FUZZTIME=2m

# The boot tests in tests/qemu (run by unit) boot the images build writes.
test: deps vet build kcheck unit fuzz
	@echo "make test: all passed"

# scale-proc boots a kernel whose init starts 1,000 processes that stay
# runnable at once, then a fork bomb up to the process limit, and prints
# the times it measured (tests/qemu TestProcScale; make test runs 100).
scale-proc: deps
	SCALE_PROCS=1000 $(GO) test -count=1 -v -timeout 30m -run TestProcScale ./tests/qemu

# soak-sockets runs tests/qemu TestSockets with ROUNDS (4) more rounds of
# 1,000 host connections to the guest's httpd, waits for the TIME_WAITs to
# expire and wants the guest's settled MemAvailable back (prints figures).
ROUNDS ?= 4
soak-sockets: deps build
	SOAK_ROUNDS=$(ROUNDS) $(GO) test -count=1 -v -timeout 30m -run 'TestSockets$$' ./tests/qemu

# bench-net prints our TCP/IP stack beside gVisor's netstack (bench/ is a
# separate module so gVisor stays out of the kernel's go.mod): 7 reps of 2 s
# per stack and workload (about 90 s), medians with their spread.
bench-net:
	cd bench && $(GO) run ./cmd/netbench -long

# bench-fs prints kernel/fs's host figures over an image file: 10,000 small
# files, a 256 MiB file written and read back, everything deleted (with 1
# goroutine, 8, and 1 with the kernel root's 5 s commit interval); then
# create, stat, readdir and unlink in directories of 1,000 to 100,000 names
# and 8 goroutines in 8 directories against 1, beside the host's own file
# system in a temporary directory.
bench-fs:
	$(GO) run ./tools/fsbench
	$(GO) run ./tools/fsbench -j 8
	$(GO) run ./tools/fsbench -commit 5s
	$(GO) run ./tools/fsbench -dirs 1000,10000,100000
