package machine

import "unsafe"

// The kernel image's bss is demand-paged like any other zero-filled memory,
// except for the machine layer's own variables: kernel-context code must
// never fault, so the pages holding them are mapped at boot.  (The Go
// standard library has large bss buffers, such as a 32 MiB FIPS entropy
// scratch area, that must not cost memory unless used.)
//
// kernelData lists every package-level variable of this package;
// TestKernelDataComplete fails when one is missing.  The table is
// initialised statically by the linker, so it is valid in boot0.
var kernelData = [...]struct {
	p unsafe.Pointer
	n uintptr
}{
	{unsafe.Pointer(&kstack), unsafe.Sizeof(kstack)},
	{unsafe.Pointer(&altstack), unsafe.Sizeof(altstack)},
	{unsafe.Pointer(&initStack), unsafe.Sizeof(initStack)},
	{unsafe.Pointer(&idleStack), unsafe.Sizeof(idleStack)},
	{unsafe.Pointer(&dummyTLS), unsafe.Sizeof(dummyTLS)},
	{unsafe.Pointer(&syscallSP), unsafe.Sizeof(syscallSP)},
	{unsafe.Pointer(&gdt), unsafe.Sizeof(gdt)},
	{unsafe.Pointer(&tss), unsafe.Sizeof(tss)},
	{unsafe.Pointer(&idt), unsafe.Sizeof(idt)},
	{unsafe.Pointer(&gdtr), unsafe.Sizeof(gdtr)},
	{unsafe.Pointer(&idtr), unsafe.Sizeof(idtr)},
	{unsafe.Pointer(&memMap), unsafe.Sizeof(memMap)},
	{unsafe.Pointer(&memMapLen), unsafe.Sizeof(memMapLen)},
	{unsafe.Pointer(&maxPhys), unsafe.Sizeof(maxPhys)},
	{unsafe.Pointer(&ranges), unsafe.Sizeof(ranges)},
	{unsafe.Pointer(&nranges), unsafe.Sizeof(nranges)},
	{unsafe.Pointer(&freeList), unsafe.Sizeof(freeList)},
	{unsafe.Pointer(&freeFrames), unsafe.Sizeof(freeFrames)},
	{unsafe.Pointer(&usedFrames), unsafe.Sizeof(usedFrames)},
	{unsafe.Pointer(&physOff), unsafe.Sizeof(physOff)},
	{unsafe.Pointer(&kernelRoot), unsafe.Sizeof(kernelRoot)},
	{unsafe.Pointer(&refBase), unsafe.Sizeof(refBase)},
	{unsafe.Pointer(&refFrames), unsafe.Sizeof(refFrames)},
	{unsafe.Pointer(&frameRefs), unsafe.Sizeof(frameRefs)},
	{unsafe.Pointer(&vmas), unsafe.Sizeof(vmas)},
	{unsafe.Pointer(&nvmas), unsafe.Sizeof(nvmas)},
	{unsafe.Pointer(&threads), unsafe.Sizeof(threads)},
	{unsafe.Pointer(&fxMem), unsafe.Sizeof(fxMem)},
	{unsafe.Pointer(&cur), unsafe.Sizeof(cur)},
	{unsafe.Pointer(&curFX), unsafe.Sizeof(curFX)},
	{unsafe.Pointer(&curFSBase), unsafe.Sizeof(curFSBase)},
	{unsafe.Pointer(&curGSBase), unsafe.Sizeof(curGSBase)},
	{unsafe.Pointer(&resched), unsafe.Sizeof(resched)},
	{unsafe.Pointer(&urgent), unsafe.Sizeof(urgent)},
	{unsafe.Pointer(&hiThread), unsafe.Sizeof(hiThread)},
	{unsafe.Pointer(&kickGen), unsafe.Sizeof(kickGen)},
	{unsafe.Pointer(&driverWoken), unsafe.Sizeof(driverWoken)},
	{unsafe.Pointer(&tripStats), unsafe.Sizeof(tripStats)},
	{unsafe.Pointer(&trapTSC), unsafe.Sizeof(trapTSC)},
	{unsafe.Pointer(&sliceStart), unsafe.Sizeof(sliceStart)},
	{unsafe.Pointer(&oneShot), unsafe.Sizeof(oneShot)},
	{unsafe.Pointer(&nextTID), unsafe.Sizeof(nextTID)},
	{unsafe.Pointer(&nthreads), unsafe.Sizeof(nthreads)},
	{unsafe.Pointer(&tscStart), unsafe.Sizeof(tscStart)},
	{unsafe.Pointer(&tscHz), unsafe.Sizeof(tscHz)},
	{unsafe.Pointer(&nsMult), unsafe.Sizeof(nsMult)},
	{unsafe.Pointer(&wallOffset), unsafe.Sizeof(wallOffset)},
	{unsafe.Pointer(&sigactions), unsafe.Sizeof(sigactions)},
	{unsafe.Pointer(&sigcontextOrder), unsafe.Sizeof(sigcontextOrder)},
	{unsafe.Pointer(&fds), unsafe.Sizeof(fds)},
	{unsafe.Pointer(&epolls), unsafe.Sizeof(epolls)},
	{unsafe.Pointer(&irqMask), unsafe.Sizeof(irqMask)},
	{unsafe.Pointer(&irqPending), unsafe.Sizeof(irqPending)},
	{unsafe.Pointer(&irqCounts), unsafe.Sizeof(irqCounts)},
	{unsafe.Pointer(&haveRDRAND), unsafe.Sizeof(haveRDRAND)},
	{unsafe.Pointer(&rngState), unsafe.Sizeof(rngState)},
	{unsafe.Pointer(&unknownLogged), unsafe.Sizeof(unknownLogged)},
	{unsafe.Pointer(&unknownHigh), unsafe.Sizeof(unknownHigh)},
	{unsafe.Pointer(&inTrap), unsafe.Sizeof(inTrap)},
	{unsafe.Pointer(&traceSyscalls), unsafe.Sizeof(traceSyscalls)},
	{unsafe.Pointer(&regNames), unsafe.Sizeof(regNames)},
	{unsafe.Pointer(&bootInfoAddr), unsafe.Sizeof(bootInfoAddr)},
	{unsafe.Pointer(&cmdline), unsafe.Sizeof(cmdline)},
	{unsafe.Pointer(&cmdlineLen), unsafe.Sizeof(cmdlineLen)},
	{unsafe.Pointer(&argv), unsafe.Sizeof(argv)},
	{unsafe.Pointer(&envp), unsafe.Sizeof(envp)},
	{unsafe.Pointer(&kernelStart), unsafe.Sizeof(kernelStart)},
	{unsafe.Pointer(&kernelEnd), unsafe.Sizeof(kernelEnd)},
	{unsafe.Pointer(&fileEnd), unsafe.Sizeof(fileEnd)},
	{unsafe.Pointer(&vdsoFrame), unsafe.Sizeof(vdsoFrame)},
	{unsafe.Pointer(&vvarFrame), unsafe.Sizeof(vvarFrame)},
	{unsafe.Pointer(&ErrDMASize), unsafe.Sizeof(ErrDMASize)},
	{unsafe.Pointer(&asRoots), unsafe.Sizeof(asRoots)},
	{unsafe.Pointer(&nxOK), unsafe.Sizeof(nxOK)},
	{unsafe.Pointer(&userFrames), unsafe.Sizeof(userFrames)},
	{unsafe.Pointer(&curCR3), unsafe.Sizeof(curCR3)},
	{unsafe.Pointer(&userMode), unsafe.Sizeof(userMode)},
}

// isKernelData reports whether the page at va holds a machine variable.
//
//go:nosplit
func isKernelData(va uintptr) bool {
	for i := range kernelData {
		d := &kernelData[i]
		p := uintptr(d.p)
		if va < roundPage(p+d.n) && va+pageSize > p {
			return true
		}
	}
	return false
}
