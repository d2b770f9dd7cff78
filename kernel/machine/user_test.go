package machine

import (
	"syscall"
	"testing"
	"unsafe"
)

func TestAddressSpace(t *testing.T) {
	ram := fakeMachine(t, 128*pageSize)
	defer keep(ram)
	asRoots = [maxAddressSpaces]uintptr{}
	userFrames = 0
	// The kernel's trampoline slot, which every address space shares.
	*(*uint64)(ptr(kernelRoot + 511*8)) = 0xabc000 | ptePresent | pteWrite
	// Kernel buffers for the copies, in a region of the (fake) kernel
	// address space, faulted in before counting frames.
	kbuf := setupStack(t, pageSize)
	if !touch(kbuf, pageSize, true) {
		t.Fatal("kernel buffer not mapped")
	}
	free := freeFrames

	r := sysNewAddressSpace()
	if r <= 0 {
		t.Fatalf("new address space: %d", r)
	}
	root := uintptr(r)
	if got := *(*uint64)(ptr(root + 511*8)); got != 0xabc000|ptePresent|pteWrite {
		t.Errorf("trampoline slot %#x not shared", got)
	}
	const va = 0x400000
	if r := sysUserMap(root, va, 2*pageSize, ProtRead|ProtWrite|ProtExec); r != 0 {
		t.Fatalf("map: %d", r)
	}
	if r := sysUserMap(root, va+pageSize, pageSize, ProtRead|ProtWrite|ProtExec); r != -int64(syscall.EEXIST) {
		t.Errorf("mapping a mapped page = %d, want EEXIST", r)
	}
	for _, bad := range []struct{ root, va, n uintptr }{
		{kernelRoot, va, pageSize}, // not an address space
		{root, va + 1, pageSize},   // unaligned
		{root, 0, pageSize},        // page 0
		{root, userTop - pageSize, 2 * pageSize},
	} {
		if r := sysUserMap(bad.root, bad.va, bad.n, ProtRead|ProtWrite|ProtExec); r != -int64(syscall.EINVAL) {
			t.Errorf("sysUserMap(%#x, %#x, %#x) = %d, want EINVAL", bad.root, bad.va, bad.n, r)
		}
	}
	// Every level on the way to a user page allows user access; the page
	// is writable as asked.
	table := root
	for shift := uint(39); shift > 12; shift -= 9 {
		e := *(*uint64)(ptr(table + (va>>shift&511)*8))
		if e&(ptePresent|pteUser) != ptePresent|pteUser {
			t.Fatalf("level %d entry %#x: not a present user table", shift, e)
		}
		table = uintptr(e & pteAddrMask)
	}
	if pte := *(*uint64)(ptr(table + (va>>12&511)*8)); pte&pteWrite == 0 || pte&pteUser == 0 {
		t.Errorf("leaf %#x: want user, writable", pte)
	}

	// A copy across the page boundary, out and back in.
	msg := "hello, ring 3: this crosses a page"
	out := unsafe.Slice((*byte)(ptr(kbuf)), len(msg))
	for i := range out { // not copy(out, msg): go1.26.8's compiler crashes on it (disjointTypes)
		out[i] = msg[i]
	}
	at := uintptr(va + pageSize - 10)
	if r := sysUserCopy(root, at, uintptr(unsafe.Pointer(&out[0])), uintptr(len(out)), true); r != int64(len(out)) {
		t.Fatalf("copy out: %d", r)
	}
	in := unsafe.Slice((*byte)(ptr(kbuf+64)), len(out))
	if r := sysUserCopy(root, at, uintptr(unsafe.Pointer(&in[0])), uintptr(len(in)), false); r != int64(len(in)) || string(in) != string(out) {
		t.Fatalf("copy in: %d %q", r, in)
	}
	if r := sysUserCopy(root, va+2*pageSize-4, uintptr(unsafe.Pointer(&in[0])), 8, false); r != -int64(syscall.EFAULT) {
		t.Errorf("copy past the mapping = %d, want EFAULT", r)
	}
	if r := sysUserMap(root, va+4*pageSize, pageSize, ProtRead|ProtExec); r != 0 {
		t.Fatalf("map read-only: %d", r)
	}
	if r := sysUserCopy(root, va+4*pageSize, uintptr(unsafe.Pointer(&out[0])), 8, true); r != -int64(syscall.EFAULT) {
		t.Errorf("copy out to a read-only page = %d, want EFAULT", r)
	}

	leaf := func(va uintptr) uint64 { return *(*uint64)(ptr(walk(root, va, false))) }
	// The shared vDSO pages: mapped read-only, and no Protect makes them
	// writable.
	vdsoFrame, vvarFrame = allocZeroFrame(), allocZeroFrame()
	if r := sysUserMapVDSO(root); r != vdsoAddr {
		t.Fatalf("map vDSO = %#x", r)
	}
	if r := sysUserProtect(root, vdsoAddr, 2*pageSize, ProtRead|ProtWrite|ProtExec); r != 0 || leaf(vdsoAddr)&pteWrite != 0 || leaf(vvarAddr)&pteWrite != 0 {
		t.Errorf("protect made the vDSO writable: %d, %#x %#x", r, leaf(vdsoAddr), leaf(vvarAddr))
	}

	// Protect and unmap.
	if r := sysUserProtect(root, va, pageSize, ProtRead|ProtExec); r != 0 || leaf(va)&pteWrite != 0 || leaf(va+pageSize)&pteWrite == 0 {
		t.Errorf("protect: %d, leaves %#x %#x", r, leaf(va), leaf(va+pageSize))
	}
	held := userFrames // the unmap takes the pages at va+pageSize and va+4*pageSize
	if r := sysUserUnmap(root, va+pageSize, 1<<30); r != 0 || leaf(va+pageSize) != 0 || userFrames != held-2 {
		t.Errorf("unmap: %d, leaf %#x, %d user frames (want %d)", r, leaf(va+pageSize), userFrames, held-2)
	}
	if leaf(va)&ptePresent == 0 {
		t.Error("unmap took a page below its range")
	}
	if r := sysUserUnmap(root, va+1, pageSize); r != -int64(syscall.EINVAL) {
		t.Errorf("unaligned unmap = %d, want EINVAL", r)
	}

	if r := sysFreeAddressSpace(root); r != 0 {
		t.Fatalf("free: %d", r)
	}
	free -= 2 // the vDSO frames, which address spaces share and do not free
	if userFrames != 0 || freeFrames != free {
		t.Errorf("after free: %d user frames, %d free (want 0 and %d)", userFrames, freeFrames, free)
	}
	if r := sysFreeAddressSpace(root); r != -int64(syscall.EINVAL) {
		t.Errorf("second free = %d, want EINVAL", r)
	}
}

// TestUserMapRollback: a map that fails part way (no frames left, or a
// page already mapped) leaves nothing of itself behind, and one call maps
// at most maxUserMapChunk bytes (interrupts are off while it zeroes).
func TestUserMapRollback(t *testing.T) {
	ram := fakeMachine(t, 128*pageSize)
	defer keep(ram)
	asRoots = [maxAddressSpaces]uintptr{}
	userFrames = 0
	r := sysNewAddressSpace()
	if r <= 0 {
		t.Fatalf("new address space: %d", r)
	}
	root := uintptr(r)
	const va = 0x400000
	if r := sysUserMap(root, va+4*pageSize, pageSize, ProtRead|ProtWrite|ProtExec); r != 0 {
		t.Fatalf("map: %d", r)
	}
	if r := sysUserMap(root^1, va, pageSize, ProtRead|ProtWrite|ProtExec); r != -int64(syscall.EINVAL) {
		t.Errorf("map with a handle of the wrong slot = %d, want EINVAL", r)
	}
	free, held := freeFrames, userFrames
	if r := sysUserMap(root, va, 8*pageSize, ProtRead|ProtWrite|ProtExec); r != -int64(syscall.EEXIST) {
		t.Fatalf("map over a mapped page = %d, want EEXIST", r)
	}
	if freeFrames != free || userFrames != held {
		t.Errorf("EEXIST kept %d frames", free-freeFrames)
	}
	if e := walk(root, va, false); e != 0 && *(*uint64)(ptr(e))&ptePresent != 0 {
		t.Error("the pages before the mapped one stayed mapped")
	}
	if r := sysUserMap(root, 0x800000, maxUserMapChunk+pageSize, ProtRead|ProtWrite|ProtExec); r != -int64(syscall.EINVAL) {
		t.Errorf("map beyond one chunk = %d, want EINVAL", r)
	}
	n := min(uintptr(free+8)*pageSize, maxUserMapChunk)
	if r := sysUserMap(root, 0x800000, n, ProtRead|ProtWrite|ProtExec); r != -int64(syscall.ENOMEM) {
		t.Fatalf("map of more than there is = %d, want ENOMEM", r)
	}
	if userFrames > held+4 { // a few page tables may stay; pages may not
		t.Errorf("ENOMEM kept %d frames", userFrames-held)
	}
	// A page mapped with its contents: present, filled, as writable as asked.
	buf := setupStack(t, pageSize)
	touch(buf, pageSize, true)
	*(*uint64)(ptr(buf)) = 0x1122334455667788
	if r := sysUserMapPage(root, 0x900000, buf, 8, ProtRead); r != 0 {
		t.Fatalf("map page: %d", r)
	}
	if r := sysUserMapPage(root, 0x900000, buf, 8, ProtRead); r != -int64(syscall.EEXIST) {
		t.Errorf("map page twice = %d, want EEXIST", r)
	}
	// NX: pages without PROT_EXEC cannot be run, when the CPU has NX.
	nxOK = true
	defer func() { nxOK = false }()
	sysUserMap(root, 0xa00000, 2*pageSize, ProtRead|ProtWrite)
	sysUserMap(root, 0xa02000, pageSize, ProtRead|ProtExec)
	nx := func(va uintptr) bool { return *(*uint64)(ptr(walk(root, va, false)))&pteNX != 0 }
	if !nx(0xa00000) || nx(0xa02000) {
		t.Errorf("NX: data page %v, code page %v; want true, false", nx(0xa00000), nx(0xa02000))
	}
	sysUserProtect(root, 0xa00000, pageSize, ProtRead|ProtExec)
	if nx(0xa00000) || !nx(0xa01000) {
		t.Errorf("after mprotect(PROT_EXEC) of one page: NX %v %v", nx(0xa00000), nx(0xa01000))
	}
	e := walk(root, 0x900000, false)
	pte := *(*uint64)(ptr(e))
	if pte&ptePresent == 0 || pte&pteWrite != 0 || *(*uint64)(ptr(phys2virt(uintptr(pte & pteAddrMask)))) != 0x1122334455667788 {
		t.Errorf("mapped page: pte %#x", pte)
	}
	// PROT_NONE: the page stays present with its bytes but loses the user
	// bit, so ring 3 faults on a read; the kernel can still copy it (for
	// fork), and PROT_READ gives ring 3 access back.
	user := func(va uintptr) bool { return *(*uint64)(ptr(walk(root, va, false)))&pteUser != 0 }
	if sysUserProtect(root, 0x900000, pageSize, 0); user(0x900000) {
		t.Error("mprotect(PROT_NONE) left the user bit on")
	}
	if r := sysUserCopy(root, 0x900000, buf+16, 8, false); r != 8 || *(*uint64)(ptr(buf + 16)) != 0x1122334455667788 {
		t.Errorf("kernel copy from a PROT_NONE page: %d, %#x", r, *(*uint64)(ptr(buf + 16)))
	}
	if r := sysUserMapPage(root, 0x901000, buf, 8, 0); r != 0 || user(0x901000) {
		t.Errorf("map page PROT_NONE: %d, user bit %v", r, user(0x901000))
	}
	if sysUserProtect(root, 0x900000, pageSize, ProtRead); !user(0x900000) {
		t.Error("mprotect(PROT_READ) did not give the user bit back")
	}
	sysFreeAddressSpace(root)
}
