package machine

import (
	"syscall"
	"testing"
	"unsafe"
)

// TestCopyOnWrite: shared frames are read-only in every page table that
// maps them, are copied on the first write while shared and only made
// writable once they are not, and are freed with their last mapping.
func TestCopyOnWrite(t *testing.T) {
	const ramPages = maxSharePages + 256
	ram := fakeMachine(t, ramPages*pageSize)
	defer keep(ram)
	lo := roundPage(uintptr(unsafe.Pointer(&ram[0])))
	if !initFrameRefs(lo, lo+ramPages*pageSize) {
		t.Fatal("no room for the counts")
	}
	asRoots = [maxAddressSpaces]uintptr{}
	userFrames = 0
	vdsoFrame, vvarFrame = allocZeroFrame(), allocZeroFrame()
	kbuf := setupStack(t, pageSize)
	touch(kbuf, pageSize, true)
	free := freeFrames

	newAS := func() uintptr {
		r := sysNewAddressSpace()
		if r <= 0 {
			t.Fatalf("new address space: %d", r)
		}
		return uintptr(r)
	}
	leaf := func(h, va uintptr) uint64 {
		e := walk(h&^(pageSize-1), va, false) // a handle has its slot in the low bits
		if e == 0 {
			return 0
		}
		return *(*uint64)(ptr(e))
	}
	frame := func(root, va uintptr) uintptr { return uintptr(leaf(root, va) & pteAddrMask) }
	put := func(root, va uintptr, v uint64) int64 {
		*(*uint64)(ptr(kbuf)) = v
		return sysUserCopy(root, va, kbuf, 8, true)
	}
	get := func(root, va uintptr) uint64 {
		if r := sysUserCopy(root, va, kbuf+8, 8, false); r != 8 {
			t.Fatalf("copy in at %#x: %d", va, r)
		}
		return *(*uint64)(ptr(kbuf + 8))
	}

	const va = 0x400000
	parent := newAS()
	if r := sysUserMap(parent, va, 3*pageSize, ProtRead|ProtWrite); r != 0 {
		t.Fatalf("map: %d", r)
	}
	if r := sysUserMap(parent, va+4*pageSize, pageSize, ProtRead); r != 0 { // already read-only
		t.Fatalf("map: %d", r)
	}
	sysUserMapVDSO(parent)
	for i := uintptr(0); i < 3; i++ {
		if r := put(parent, va+i*pageSize, 100+uint64(i)); r != 8 {
			t.Fatalf("copy out: %d", r)
		}
	}
	held := userFrames

	child := newAS()
	if r := sysUserShare(parent, child, va, 1<<30); r != va+1<<30 {
		t.Fatalf("share = %#x, want %#x", r, va+1<<30)
	}
	if r := sysUserShare(parent, child, va, pageSize); r != -int64(syscall.EEXIST) {
		t.Errorf("sharing onto a present page = %d, want EEXIST", r)
	}
	if r := sysUserShare(parent, parent, va, pageSize); r != -int64(syscall.EINVAL) {
		t.Errorf("sharing with itself = %d, want EINVAL", r)
	}
	for _, p := range []uintptr{va, va + pageSize, va + 2*pageSize, va + 4*pageSize} {
		pl, cl := leaf(parent, p), leaf(child, p)
		if pl != cl || pl&pteWrite != 0 || pl&ptePresent == 0 {
			t.Errorf("%#x: parent %#x child %#x, want the same read-only entry", p, pl, cl)
		}
		if n := *extraRefs(frame(parent, p)); n != 1 {
			t.Errorf("%#x: %d extra mappings, want 1", p, n)
		}
	}
	if leaf(child, vdsoAddr) != 0 {
		t.Error("the vDSO was shared (the child maps its own)")
	}
	if userFrames-held > 4 { // the child's page tables only
		t.Errorf("sharing took %d user frames", userFrames-held)
	}

	// Writes: the kernel may not write a shared page; mprotect does not
	// make it writable.
	if r := put(parent, va, 1); r != -int64(syscall.EFAULT) {
		t.Errorf("copy out into a shared page = %d, want EFAULT", r)
	}
	if sysUserProtect(parent, va, pageSize, ProtRead|ProtWrite); leaf(parent, va)&pteWrite != 0 {
		t.Error("mprotect made a shared page writable")
	}
	if r := sysUserUnshare(parent, va, ProtRead); r != -int64(syscall.EINVAL) {
		t.Errorf("unshare without write = %d, want EINVAL", r)
	}
	if r := sysUserUnshare(parent, va+3*pageSize, ProtRead|ProtWrite); r != -int64(syscall.EFAULT) {
		t.Errorf("unshare of an absent page = %d, want EFAULT", r)
	}
	old := frame(parent, va)
	before := freeFrames
	if r := sysUserUnshare(parent, va, ProtRead|ProtWrite); r != 0 {
		t.Fatalf("unshare: %d", r)
	}
	if frame(parent, va) == old || frame(child, va) != old || freeFrames != before-1 || *extraRefs(old) != 0 {
		t.Errorf("the writer did not get a copy: parent %#x child %#x (was %#x)", frame(parent, va), frame(child, va), old)
	}
	if put(parent, va, 7); get(parent, va) != 7 || get(child, va) != 100 {
		t.Errorf("after the copy: parent reads %d, child %d; want 7, 100", get(parent, va), get(child, va))
	}
	// The last sharer only gets its write bit back.
	before = freeFrames
	if r := sysUserUnshare(child, va, ProtRead|ProtWrite); r != 0 || frame(child, va) != old || freeFrames != before || leaf(child, va)&pteWrite == 0 {
		t.Errorf("unshare of an unshared page: %d, frame %#x (want %#x), %d frames taken", r, frame(child, va), old, before-freeFrames)
	}

	// Three generations share one frame; unmapping drops one mapping at
	// a time and the last frees it.
	grandchild := newAS()
	if r := sysUserShare(child, grandchild, va, 8*pageSize); r != va+8*pageSize {
		t.Fatalf("share with the grandchild = %#x", r)
	}
	f := frame(parent, va+pageSize)
	if *extraRefs(f) != 2 || frame(grandchild, va+pageSize) != f {
		t.Fatalf("three generations: %d extra mappings, want 2", *extraRefs(f))
	}
	before = freeFrames
	for i, root := range []uintptr{child, parent} {
		sysUserUnmap(root, va+pageSize, pageSize)
		if *extraRefs(f) != uint16(1-i) || freeFrames != before {
			t.Errorf("after %d unmaps: %d extra mappings, %d frames freed", i+1, *extraRefs(f), freeFrames-before)
		}
	}
	if get(grandchild, va+pageSize) != 101 {
		t.Error("the last mapping lost its bytes")
	}
	sysUserUnmap(grandchild, va+pageSize, pageSize)
	if freeFrames != before+1 {
		t.Errorf("the last unmap freed %d frames, want 1", freeFrames-before)
	}

	// Exit in any order gives every frame back.
	for _, root := range []uintptr{parent, grandchild, child} {
		if r := sysFreeAddressSpace(root); r != 0 {
			t.Fatalf("free: %d", r)
		}
	}
	if userFrames != 0 || freeFrames != free {
		t.Errorf("after freeing: %d user frames, %d free; want 0 and %d", userFrames, freeFrames, free)
	}
	for i := uintptr(0); i < refFrames; i++ {
		if n := *(*uint16)(ptr(frameRefs + 2*i)); n != 0 {
			t.Fatalf("frame %d keeps a count of %d", i, n)
		}
	}
}

// TestShareChunks: one call shares at most maxSharePages pages and says
// where to go on; a frame without a count cannot be shared.
func TestShareChunks(t *testing.T) {
	const ramPages = maxSharePages + 256
	ram := fakeMachine(t, ramPages*pageSize)
	defer keep(ram)
	asRoots = [maxAddressSpaces]uintptr{}
	userFrames = 0
	parent, child := uintptr(sysNewAddressSpace()), uintptr(sysNewAddressSpace())
	const va = 0x400000
	if r := sysUserMap(parent, va, pageSize, ProtRead|ProtWrite); r != 0 {
		t.Fatalf("map: %d", r)
	}
	if r := sysUserShare(parent, child, va, pageSize); r != -int64(syscall.ENOMEM) {
		t.Errorf("sharing without counts = %d, want ENOMEM", r)
	}
	lo := roundPage(uintptr(unsafe.Pointer(&ram[0])))
	if !initFrameRefs(lo, lo+ramPages*pageSize) {
		t.Fatal("no room for the counts")
	}
	n := uintptr(maxSharePages + 10)
	for p := uintptr(pageSize); p < n*pageSize; p += maxUserMapChunk {
		if r := sysUserMap(parent, va+p, min(maxUserMapChunk, n*pageSize-p), ProtRead|ProtWrite); r != 0 {
			t.Fatalf("map: %d", r)
		}
	}
	r := sysUserShare(parent, child, va, 1<<30)
	if r != va+maxSharePages*pageSize {
		t.Fatalf("first share call stopped at %#x, want %#x", r, va+maxSharePages*pageSize)
	}
	if r := sysUserShare(parent, child, uintptr(r), va+1<<30-uintptr(r)); r != va+1<<30 {
		t.Fatalf("second share call = %#x", r)
	}
	if leaf := *(*uint64)(ptr(walk(child&^(pageSize-1), va+(n-1)*pageSize, false))); leaf&ptePresent == 0 {
		t.Error("the last page was not shared")
	}
}

// TestAlias: an aliased frame is writable in both page tables, each sees
// the other's writes, mprotect keeps it read-only, and it is freed with
// its last mapping, in any order.
func TestAlias(t *testing.T) {
	const ramPages = 512
	ram := fakeMachine(t, ramPages*pageSize)
	defer keep(ram)
	lo := roundPage(uintptr(unsafe.Pointer(&ram[0])))
	if !initFrameRefs(lo, lo+ramPages*pageSize) {
		t.Fatal("no room for the counts")
	}
	asRoots = [maxAddressSpaces]uintptr{}
	userFrames = 0
	kbuf := setupStack(t, pageSize)
	touch(kbuf, pageSize, true)
	free := freeFrames
	put := func(h, va uintptr, v uint64) int64 {
		*(*uint64)(ptr(kbuf)) = v
		return sysUserCopy(h, va, kbuf, 8, true)
	}
	get := func(h, va uintptr) uint64 {
		if r := sysUserCopy(h, va, kbuf+8, 8, false); r != 8 {
			t.Fatalf("copy in at %#x: %d", va, r)
		}
		return *(*uint64)(ptr(kbuf + 8))
	}
	const hva, va = 0x1000, 0x7000_0000
	obj, a, b := uintptr(sysNewAddressSpace()), uintptr(sysNewAddressSpace()), uintptr(sysNewAddressSpace())
	if r := sysUserMap(obj, hva, pageSize, ProtRead|ProtWrite); r != 0 {
		t.Fatalf("map: %d", r)
	}
	for _, h := range []uintptr{a, b} {
		if r := sysUserAlias(obj, hva, h, va, ProtRead|ProtWrite); r != 0 {
			t.Fatalf("alias: %d", r)
		}
	}
	if r := sysUserAlias(obj, hva, a, va, ProtRead|ProtWrite); r != -int64(syscall.EEXIST) {
		t.Errorf("alias onto a present page = %d, want EEXIST", r)
	}
	if r := sysUserAlias(obj, hva+pageSize, a, va+pageSize, ProtRead); r != -int64(syscall.EFAULT) {
		t.Errorf("alias of an absent page = %d, want EFAULT", r)
	}
	if r := sysUserAlias(a, va, a, va+pageSize, ProtRead); r != -int64(syscall.EINVAL) {
		t.Errorf("alias within one page table = %d, want EINVAL", r)
	}
	if put(a, va, 41) != 8 || get(b, va) != 41 || put(b, va, 42) != 8 || get(a, va) != 42 || get(obj, hva) != 42 {
		t.Error("the page tables do not see each other's writes")
	}
	f := uintptr(*(*uint64)(ptr(walk(a&^(pageSize-1), va, false))) & pteAddrMask)
	if *extraRefs(f) != 2 {
		t.Errorf("%d extra mappings, want 2", *extraRefs(f))
	}
	if sysUserProtect(a, va, pageSize, ProtRead|ProtWrite); put(a, va, 1) != -int64(syscall.EFAULT) {
		t.Error("mprotect left an aliased frame writable")
	}
	before := freeFrames
	sysUserUnmap(obj, hva, pageSize)
	if sysFreeAddressSpace(a); freeFrames-before != 4 || *extraRefs(f) != 0 || get(b, va) != 42 {
		t.Errorf("freed %d frames, want a's 4 tables only (count %d)", freeFrames-before, *extraRefs(f))
	}
	sysFreeAddressSpace(obj)
	sysFreeAddressSpace(b)
	if userFrames != 0 || freeFrames != free || *extraRefs(f) != 0 {
		t.Errorf("after freeing: %d user frames, %d free (want 0, %d), count %d", userFrames, freeFrames, free, *extraRefs(f))
	}
}
