package start

import "scone/kernel/mem"

// setFrameReserve makes user memory leave mem.Reserve frames to the kernel.
func setFrameReserve(free func() uint64) { mem.FreeFrames = free }
