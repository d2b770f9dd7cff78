package machine

// Ring 3: address spaces for user programs and running code in them.
//
// A user thread is a goroutine that calls RunUser in a loop.  RunUser is a
// private system call: the calling thread's kernel registers are set aside
// (kframe) and it continues in ring 3 with the user's registers and the
// process's page table.  Any trap from ring 3 (a system call, a page fault,
// an exception, an interrupt that ends the time slice) ends the call: the
// user registers go back to the caller's UserRegs, the kernel registers
// come back, and RunUser returns why.  The goroutine then handles the
// system call or the fault in ordinary Go and calls RunUser again.
//
// An address space's page table holds user pages (U bit) below 2^47 and
// shares PML4 slot 511, the trampoline, with the kernel's: the CPU can
// take an interrupt or a SYSCALL under it, and the entry stubs switch to
// the kernel's page table before touching anything else.

import (
	"syscall"
	"unsafe"
)

// Private system calls behind the AddressSpace API.
const (
	SysNewAddressSpace  = 1004
	SysFreeAddressSpace = 1005
	SysUserMap          = 1006
	SysUserCopy         = 1007
	SysRunUser          = 1008
	SysUserUnmap        = 1009
	SysUserProtect      = 1010
	SysUserMapVDSO      = 1011
	SysKickUser         = 1012
	SysUserMapPage      = 1013
)

// Why RunUser returned.
const (
	UserSyscall   = 1 // the program executed SYSCALL: RAX and the argument registers say what it wants
	UserFault     = 2 // a page fault: FaultAddr and Error (the CPU's error code)
	UserException = 3 // another exception: Vector and Error
	UserInterrupt = 4 // the time slice ended or a device interrupted; just call RunUser again
)

// UserRegs is a user thread's register state.  The first fifteen words are
// laid out as in Frame.
type UserRegs struct {
	R15, R14, R13, R12, R11, R10, R9, R8 uint64
	RBP, RDI, RSI, RDX, RCX, RBX, RAX    uint64
	RIP, RFLAGS, RSP, FSBase, GSBase     uint64
	// Why the last RunUser returned, beyond its result.
	Vector, Error, FaultAddr uint64
	// Ring3 is how long (ns) the last Run was in ring 3: the thread's user
	// CPU time, including any stretch the machine ran other threads.
	Ring3 uint64
	// Stamps are TSC readings of the last trip (tripstat.go), when the
	// kernel command line says "tripstat".
	Stamps [nstamps]uint64
	// FX is the FXSAVE image of the FPU and SSE state (zero means defaults).
	FX [512]byte
}

const (
	maxAddressSpaces = 4096 // a handle keeps the slot in the root's low 12 bits
	maxUserCopy      = 1 << 20
	maxUserMapChunk  = 1 << 20 // bytes one SysUserMap zeroes with interrupts off
	userRegsGPRs     = 15 * 8
	userFlags        = 0xcd5 // CF PF AF ZF SF DF OF: what ring 3 may set
)

// Protection bits of the user page calls (Linux's PROT_* values; read is
// implied by write or exec, as x86 pages are readable when present).
const (
	ProtRead  = 0x1
	ProtWrite = 0x2
	ProtExec  = 0x4
)

// userAccess reports whether ring 3 may touch a page with protection prot
// at all.  A PROT_NONE page keeps its frame but loses the user bit, so
// every access from ring 3 faults (Linux's _PAGE_PROTNONE, which guard
// pages and the Go runtime rely on).
//
//go:nosplit
func userAccess(prot uintptr) bool { return prot&(ProtRead|ProtWrite|ProtExec) != 0 }

// userPTE returns the page-table flags for a user page with protection
// prot: NX unless PROT_EXEC (when the CPU has NX), no user bit for
// PROT_NONE.
//
//go:nosplit
func userPTE(prot uintptr) uint64 {
	f := uint64(ptePresent)
	if userAccess(prot) {
		f |= pteUser
	}
	if prot&ProtWrite != 0 {
		f |= pteWrite
	}
	if prot&ProtExec == 0 && nxOK {
		f |= pteNX
	}
	return f
}

var (
	driverWoken bool                      // an interrupt woke a driver's thread (irqFired)
	nxOK        bool                      // EFER.NXE is on
	asRoots     [maxAddressSpaces]uintptr // page tables of live address spaces
	userFrames  uint64                    // frames held by address spaces: pages and tables
)

// An address space's handle (what NewAddressSpace returns and the other
// calls take) is its page table's physical address with its slot in
// asRoots in the low 12 bits, so checking one is a single lookup.
//
//go:nosplit
func validRoot(h uintptr) (root uintptr, ok bool) {
	root = h &^ (pageSize - 1)
	return root, root != 0 && asRoots[h&(pageSize-1)] == root
}

//go:nosplit
func sysNewAddressSpace() int64 {
	slot := -1
	for i := range &asRoots {
		if asRoots[i] == 0 {
			slot = i
			break
		}
	}
	if slot < 0 {
		return -int64(syscall.EAGAIN)
	}
	root := allocZeroFrame()
	if root == 0 {
		return -int64(syscall.ENOMEM)
	}
	userFrames++
	// Share the trampoline.
	*(*uint64)(ptr(phys2virt(root) + 511*8)) = *(*uint64)(ptr(phys2virt(kernelRoot) + 511*8))
	asRoots[slot] = root
	return int64(root | uintptr(slot))
}

// sysFreeAddressSpace frees every user page and table of root, and root.
//
//go:nosplit
func sysFreeAddressSpace(h uintptr) int64 {
	root, ok := validRoot(h)
	if !ok {
		return -int64(syscall.EINVAL)
	}
	for i := 1; i < hiThread; i++ {
		if threads[i].state != tFree && threads[i].cr3 == root {
			return -int64(syscall.EBUSY)
		}
	}
	freeTables(root)
	asRoots[h&(pageSize-1)] = 0
	return 0
}

// freeTables frees every page and table in the lower half of the PML4 at
// pml4, and the PML4.  The four levels are nested loops: nosplit code must
// not recurse.
//
//go:nosplit
func freeTables(pml4 uintptr) {
	for i := uintptr(0); i < 256; i++ { // the lower half only: 511 is shared
		pdpt := tableEntry(pml4, i)
		if pdpt == 0 {
			continue
		}
		for j := uintptr(0); j < 512; j++ {
			pd := tableEntry(pdpt, j)
			if pd == 0 {
				continue
			}
			for k := uintptr(0); k < 512; k++ {
				pt := tableEntry(pd, k)
				if pt == 0 {
					continue
				}
				for l := uintptr(0); l < 512; l++ {
					if page := tableEntry(pt, l); page != 0 && !isVDSOFrame(page) {
						putUserFrame(page)
					}
				}
				freeUserFrame(pt)
			}
			freeUserFrame(pd)
		}
		freeUserFrame(pdpt)
	}
	freeUserFrame(pml4)
}

//go:nosplit
func freeUserFrame(f uintptr) {
	freeFrame(f)
	userFrames--
}

// tableEntry returns the frame entry i of the table at pa points to, or 0.
//
//go:nosplit
func tableEntry(pa, i uintptr) uintptr {
	pte := *(*uint64)(ptr(phys2virt(pa) + i*8))
	if pte&ptePresent == 0 {
		return 0
	}
	return uintptr(pte & pteAddrMask)
}

// sysUserMap backs [va, va+n) of root with zeroed pages, at most
// maxUserMapChunk bytes (Map makes bigger ranges a call per chunk).  On
// failure the pages this call mapped are freed again.
//
//go:nosplit
func sysUserMap(root, va, n, prot uintptr) int64 {
	root, end, ok := userRange(root, va, n)
	if !ok || n > maxUserMapChunk {
		return -int64(syscall.EINVAL)
	}
	flags := userPTE(prot)
	for p := va; p < end; p += pageSize {
		e := walk(root, p, true)
		if e == 0 {
			unmapPages(root, va, p)
			return -int64(syscall.ENOMEM)
		}
		if *(*uint64)(ptr(e))&ptePresent != 0 {
			unmapPages(root, va, p)
			return -int64(syscall.EEXIST)
		}
		f := allocZeroFrame()
		if f == 0 {
			unmapPages(root, va, p)
			return -int64(syscall.ENOMEM)
		}
		userFrames++
		*(*uint64)(ptr(e)) = uint64(f) | flags
	}
	return 0
}

// sysUserMapPage maps one page at va holding the n bytes at the kernel
// address buf (the rest zero): the page is filled before it is present,
// so another thread of the program can never see it half made.
//
//go:nosplit
func sysUserMapPage(h, va, buf, n, prot uintptr) int64 {
	root, _, ok := userRange(h, va, pageSize)
	if !ok || n > pageSize {
		return -int64(syscall.EINVAL)
	}
	if n > 0 && !touch(buf, n, false) {
		return -int64(syscall.EFAULT)
	}
	e := walk(root, va, true)
	if e == 0 {
		return -int64(syscall.ENOMEM)
	}
	if *(*uint64)(ptr(e))&ptePresent != 0 {
		return -int64(syscall.EEXIST)
	}
	f := allocZeroFrame()
	if f == 0 {
		return -int64(syscall.ENOMEM)
	}
	userFrames++
	if n > 0 {
		memcopy(phys2virt(f), buf, n)
	}
	*(*uint64)(ptr(e)) = uint64(f) | userPTE(prot)
	return 0
}

// userRange validates a page-aligned range of root's lower half.
//
//go:nosplit
func userRange(h, va, n uintptr) (root, end uintptr, ok bool) {
	end = roundPage(va + n)
	root, ok = validRoot(h)
	return root, end, ok && pageAligned(va) && va >= pageSize && n > 0 && end <= userTop && end > va
}

// sysUserUnmap frees the pages of root in [va, va+n); absent pages are
// fine, as with munmap.
//
//go:nosplit
func sysUserUnmap(root, va, n uintptr) int64 {
	root, end, ok := userRange(root, va, n)
	if !ok {
		return -int64(syscall.EINVAL)
	}
	unmapPages(root, va, end)
	return 0
}

// sysUserProtect gives the present pages of root in [va, va+n) the
// protection prot (access, write and execute permission).
//
//go:nosplit
func sysUserProtect(root, va, n, prot uintptr) int64 {
	root, end, ok := userRange(root, va, n)
	if !ok {
		return -int64(syscall.EINVAL)
	}
	setPerm(root, va, end, prot&ProtWrite != 0, prot&ProtExec == 0 && nxOK, userAccess(prot))
	return 0
}

// sysUserMapVDSO maps the shared vDSO and vvar pages, read-only, at their
// fixed addresses in root, and returns the vDSO's address.
//
//go:nosplit
func sysUserMapVDSO(h uintptr) int64 {
	root, ok := validRoot(h)
	if !ok {
		return -int64(syscall.EINVAL)
	}
	for _, m := range [2][2]uintptr{{vdsoAddr, vdsoFrame}, {vvarAddr, vvarFrame}} {
		e := walk(root, m[0], true)
		if e == 0 {
			return -int64(syscall.ENOMEM)
		}
		if *(*uint64)(ptr(e))&ptePresent != 0 {
			return -int64(syscall.EEXIST)
		}
		*(*uint64)(ptr(e)) = uint64(m[1]) | ptePresent | pteUser
	}
	return vdsoAddr
}

// sysUserCopy copies n bytes between the kernel buffer buf and user
// address va of root, in the direction toUser says.
//
//go:nosplit
func sysUserCopy(h, va, buf, n uintptr, toUser bool) int64 {
	root, ok := validRoot(h)
	if !ok || n > maxUserCopy || va+n < va || va+n > userTop {
		return -int64(syscall.EINVAL)
	}
	if !touch(buf, n, !toUser) {
		return -int64(syscall.EFAULT)
	}
	for done := uintptr(0); done < n; {
		p := va + done
		e := walk(root, p&^(pageSize-1), false)
		if e == 0 {
			return -int64(syscall.EFAULT)
		}
		// As the program itself could: a read-only page (its code, the
		// shared vDSO) cannot be written, so a loader maps a page writable,
		// fills it and then protects it.  Reads need only a present page:
		// kernel/mem refuses PROT_NONE pages to system calls itself, and
		// fork must still copy them.
		need := uint64(ptePresent)
		if toUser {
			need |= pteWrite | pteUser
		}
		pte := *(*uint64)(ptr(e))
		if pte&need != need {
			return -int64(syscall.EFAULT)
		}
		chunk := min(n-done, pageSize-p&(pageSize-1))
		user := phys2virt(uintptr(pte&pteAddrMask)) + p&(pageSize-1)
		if toUser {
			memcopy(user, buf+done, chunk)
		} else {
			memcopy(buf+done, user, chunk)
		}
		done += chunk
	}
	return int64(n)
}

// sysRunUser switches t to ring 3 with the registers at regs under root.
//
//go:nosplit
func sysRunUser(t *thread, h, regs uintptr) int64 {
	root, ok := validRoot(h)
	if !ok {
		return -int64(syscall.EINVAL)
	}
	if !touch(regs, unsafe.Sizeof(UserRegs{}), true) {
		return -int64(syscall.EFAULT)
	}
	if driverWoken {
		// A driver's thread woke while this one ran kernel code with the
		// only P, so the driver's goroutine was queued for it; in ring 3
		// this thread would keep that P until sysmon retook it (up to
		// 10 ms).  Return at once instead: the caller yields
		// (UserInterrupt) and the driver's goroutine runs next.
		driverWoken = false
		(*UserRegs)(ptr(regs)).Ring3 = 0
		return UserInterrupt
	}
	r := (*UserRegs)(ptr(regs))
	// IRETQ to a non-canonical address would fault in ring 0: keep every
	// address the CPU loads in the lower half.
	if r.RIP >= userTop || r.RSP > userTop || r.FSBase >= userTop || r.GSBase >= userTop {
		return -int64(syscall.EINVAL)
	}
	t.kframe = t.frame
	t.kfsbase = t.fsbase
	memcopy(addr(&t.frame), regs, userRegsGPRs)
	t.frame.RIP = r.RIP
	t.frame.RSP = r.RSP
	t.frame.RFLAGS = r.RFLAGS&userFlags | 0x202 // IF on, always
	t.frame.CS = selUserCode
	t.frame.SS = selUserData
	t.fsbase = r.FSBase
	t.gsbase = r.GSBase
	fx := fxArea(cur)
	memcopy(fx, addr(&r.FX), 512)
	if *(*uint16)(ptr(fx)) == 0 && *(*uint32)(ptr(fx + 24)) == 0 {
		cleanFPU(fx) // an all-zero image: the defaults
	}
	*(*uint32)(ptr(fx + 24)) &= 0xffff // reserved MXCSR bits would fault in FXRSTOR
	t.user = regs
	t.cr3 = root
	t.kicked = kickGen
	t.runIn = trapTSC
	t.ring3Start = nanotime()
	return blocked // t.frame now holds the user's registers: leave RAX alone
}

// cleanFPU writes the FPU state after FNINIT (control word 0x37f, MXCSR
// 0x1f80) into the FXSAVE area at fx.
//
//go:nosplit
func cleanFPU(fx uintptr) {
	memclr(fx, 512)
	*(*uint16)(ptr(fx)) = 0x37f
	*(*uint32)(ptr(fx + 24)) = 0x1f80
}

// fromUser handles a trap from ring 3 for t, whose frame holds the user's
// registers: interrupts are serviced; the time slice may continue in ring
// 3; anything else returns from RunUser.
//
//go:nosplit
func fromUser(t *thread, f *Frame) {
	var reason int64
	var faultAddr uint64
	switch v := f.Vector; {
	case v == vecSyscall:
		reason = UserSyscall
	case v == vecTimer:
		timerTick()
		eoi(0)
		// Leave at the end of the slice, after a kick, and when a
		// signal waits for this machine thread (the runtime's), which is
		// delivered once the thread is back in kernel code.
		if !resched && t.kicked == kickGen && t.pending&^t.sigmask == 0 {
			return // keep running the user program
		}
		reason = UserInterrupt
	case v > vecTimer && v < irqBase+nirq:
		deviceIRQ(int(v - irqBase))
		if !resched {
			return
		}
		reason = UserInterrupt
	case v == vecPageFault:
		reason = UserFault
		faultAddr = uint64(readCR2())
	default:
		reason = UserException
	}
	leaveUser(t, reason, faultAddr)
}

// leaveUser ends t's RunUser with reason, handing the user state back.
//
//go:nosplit
func leaveUser(t *thread, reason int64, faultAddr uint64) {
	// sysRunUser made regs present; the caller's goroutine keeps them
	// alive and in place for the whole Run, so no second walk is needed.
	regs := t.user
	r := (*UserRegs)(ptr(regs))
	memcopy(regs, addr(&t.frame), userRegsGPRs)
	r.RIP = t.frame.RIP
	r.RSP = t.frame.RSP
	r.RFLAGS = t.frame.RFLAGS
	r.FSBase = t.fsbase
	r.GSBase = t.gsbase
	r.Vector = t.frame.Vector
	r.Error = t.frame.Error
	r.FaultAddr = faultAddr
	r.Ring3 = uint64(nanotime() - t.ring3Start)
	stampLeave(t, r)
	fx := fxArea(cur)
	memcopy(addr(&r.FX), fx, 512)
	// The runtime keeps nothing in SSE registers across a system call
	// (X15 is zeroed again after every call to assembly); it needs only
	// a sane control state.
	cleanFPU(fx)
	if reason == UserInterrupt {
		driverWoken = false // the caller yields now anyway
	}
	t.frame = t.kframe
	t.frame.RAX = uint64(reason)
	t.fsbase = t.kfsbase
	t.gsbase = 0
	t.user = 0
	t.cr3 = 0
}
