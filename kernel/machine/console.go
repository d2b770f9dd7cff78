package machine

// The machine layer's own console output: COM1, polled.  write(1) and
// write(2) from the Go runtime and every kernel-context message come here.
// Input belongs to the UART driver (kernel/drivers/uart), which takes the
// receive interrupt through WaitIRQ.

const com1 = 0x3f8

// serialInit sets COM1 to 115200 8N1 for polled output. It leaves the
// FIFO control register alone: turning the FIFOs on empties the receiver,
// which would lose a key typed while the machine booted. The UART driver
// takes such keys and then turns the FIFOs on.
//
//go:nosplit
func serialInit() {
	Out8(com1+1, 0x00) // no interrupts (the UART driver enables receive)
	Out8(com1+3, 0x80) // DLAB
	Out8(com1+0, 0x01) // 115200 baud
	Out8(com1+1, 0x00)
	Out8(com1+3, 0x03) // 8N1
	Out8(com1+4, 0x0b) // DTR, RTS, OUT2 (OUT2 gates the IRQ line)
}

// putc writes one byte, turning "\n" into "\r\n" for serial terminals.
//
//go:nosplit
func putc(c byte) {
	if c == '\n' {
		rawPutc('\r')
	}
	rawPutc(c)
}

//go:nosplit
func rawPutc(c byte) {
	// Bounded wait for the transmit holding register; a missing UART must
	// not hang the kernel.
	for i := 0; i < 100000 && In8(com1+5)&0x20 == 0; i++ {
	}
	Out8(com1, c)
}

//go:nosplit
func printStr(s string) {
	for i := 0; i < len(s); i++ {
		putc(s[i])
	}
}

//go:nosplit
func printBytes(p uintptr, n uintptr) {
	for i := uintptr(0); i < n; i++ {
		putc(*(*byte)(ptr(p + i)))
	}
}

//go:nosplit
func printHex(v uint64) {
	printStr("0x")
	for s := 60; s >= 0; s -= 4 {
		putc("0123456789abcdef"[v>>uint(s)&0xf])
	}
}

// printDec prints v in decimal, without a buffer (the kernel stack budget
// of nosplit code is small).
//
//go:nosplit
func printDec(v int64) {
	u := uint64(v)
	if v < 0 {
		putc('-')
		u = uint64(-v)
	}
	d := uint64(1)
	for u/d >= 10 {
		d *= 10
	}
	for ; d > 0; d /= 10 {
		putc(byte('0' + u/d%10))
	}
}
