package pci

// Command register bits a driver sets before using a device.
const (
	cmdMaster      = 1 << 2  // the function may start DMA
	cmdIntxDisable = 1 << 10 // INTx# is not raised
)

// EnableMaster turns on the function's I/O and memory decoding and its
// bus mastering, which a device needs to reach its rings in memory, and
// makes sure its INTx# interrupt is not disabled. The status half of the
// register is written as zero: its bits are write-one-to-clear.
func EnableMaster(c Config, a Addr) {
	cmd := c.Read32(a, regCommand) & 0xFFFF
	c.Write32(a, regCommand, (cmd|cmdIO|cmdMem|cmdMaster)&^cmdIntxDisable)
}
