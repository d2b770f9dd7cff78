package e1000

// Register offsets in the memory BAR (Intel 8254x Software Developer's
// Manual, section 13).
const (
	regCTRL   = 0x0000 // device control
	regSTATUS = 0x0008 // device status
	regEERD   = 0x0014 // EEPROM read
	regICR    = 0x00C0 // interrupt cause read (clears on read)
	regITR    = 0x00C4 // interrupt throttling
	regICS    = 0x00C8 // interrupt cause set
	regIMS    = 0x00D0 // interrupt mask set
	regIMC    = 0x00D8 // interrupt mask clear
	regRCTL   = 0x0100 // receive control
	regTCTL   = 0x0400 // transmit control
	regTIPG   = 0x0410 // transmit inter-packet gap
	regRDBAL  = 0x2800 // receive ring base, low and high
	regRDBAH  = 0x2804
	regRDLEN  = 0x2808 // receive ring length in bytes
	regRDH    = 0x2810 // receive head (the device's)
	regRDT    = 0x2818 // receive tail (ours)
	regRDTR   = 0x2820 // receive delay timer
	regRADV   = 0x282C // receive absolute delay
	regTDBAL  = 0x3800 // transmit ring base, low and high
	regTDBAH  = 0x3804
	regTDLEN  = 0x3808
	regTDH    = 0x3810
	regTDT    = 0x3818
	regTIDV   = 0x3820 // transmit interrupt delay
	regMPC    = 0x4010 // missed packets (ring full), clears on read
	regRXCSUM = 0x5000 // receive checksum control
	regMTA    = 0x5200 // multicast table, 128 words
	regRAL0   = 0x5400 // receive address 0, low and high
	regRAH0   = 0x5404
)

// CTRL bits.
const (
	ctrlASDE = 1 << 5  // auto speed detection
	ctrlSLU  = 1 << 6  // set link up
	ctrlRST  = 1 << 26 // device reset, self-clearing
)

// STATUS bits.
const statusLU = 1 << 1 // link up

// EERD bits (82540EM layout: address in 15:8, data in 31:16).
const (
	eerdStart = 1 << 0
	eerdDone  = 1 << 4
)

// Interrupt causes (ICR, IMS, IMC, ICS).
const (
	intTXDW   = 1 << 0 // a descriptor with RS was written back
	intLSC    = 1 << 2 // link status change
	intRXDMT0 = 1 << 4 // receive ring below the threshold
	intRXO    = 1 << 6 // receive overrun
	intRXT0   = 1 << 7 // receive timer: frames are ready

	// intEnabled are the causes the driver serves.
	intEnabled = intTXDW | intLSC | intRXDMT0 | intRXO | intRXT0
)

// RCTL bits.
const (
	rctlEN    = 1 << 1
	rctlBAM   = 1 << 15 // accept broadcast
	rctlSECRC = 1 << 26 // strip the FCS
	// Buffer size 2048 is BSIZE=00 with BSEX=0; RDMTS=00 interrupts when
	// half the ring is left.
)

// TCTL bits.
const (
	tctlEN   = 1 << 1
	tctlPSP  = 1 << 3     // pad short packets
	tctlCT   = 0x10 << 4  // collision threshold
	tctlCOLD = 0x40 << 12 // collision distance, full duplex
)

// TIPG for copper 802.3 (IPGT 10, IPGR1 8, IPGR2 6).
const tipgDefault = 10 | 8<<10 | 6<<20

// RXCSUM bits.
const (
	rxcsumIPOFL = 1 << 8 // IPv4 header checksum
	rxcsumTUOFL = 1 << 9 // TCP/UDP checksum
)

// rahAV marks receive address 0 valid.
const rahAV = 1 << 31

// itrInterval is the interrupt throttle: at least interval*256 ns between
// interrupts, 390 giving at most ~10,000 a second, so a flood costs a
// bounded number of wake-ups whatever the frame rate.
const itrInterval = 390

// Receive descriptor (16 bytes): buffer address, length, packet checksum,
// status, errors, VLAN tag.
const (
	rxdLen    = 8
	rxdStatus = 12 // status, errors and special: one 32-bit word
)

// Receive status and error bits, as they sit in the word at rxdStatus.
const (
	rxsDD    = 1 << 0 // descriptor done
	rxsEOP   = 1 << 1 // end of packet
	rxsIXSM  = 1 << 2 // ignore the checksum indications
	rxsTCPCS = 1 << 5 // TCP/UDP checksum was checked
	rxsIPCS  = 1 << 6 // IPv4 checksum was checked
	rxeCE    = 1 << 8 // CRC or alignment error
	rxeSE    = 1 << 9
	rxeSEQ   = 1 << 10
	rxeCXE   = 1 << 12
	rxeTCPE  = 1 << 13 // TCP/UDP checksum wrong
	rxeIPE   = 1 << 14 // IPv4 checksum wrong
	rxeRXE   = 1 << 15

	rxeFrame = rxeCE | rxeSE | rxeSEQ | rxeCXE | rxeRXE
)

// Transmit descriptors (16 bytes). A data descriptor of the extended
// format: address, then a word of length (19:0), type (23:20) and command
// (31:24), then status (bits 3:0 of byte 12) and options (byte 13). A
// context descriptor: checksum start/offset/end for IP (bytes 0-3) and
// TCP/UDP (bytes 4-7), then type and command, status.
const (
	txdCmdWord = 8
	txdStatus  = 12 // status (low nibble), options at byte 13

	dtypContext = 0 << 20
	dtypData    = 1 << 20

	dcmdEOP  = 1 << 24 // end of packet
	dcmdIFCS = 1 << 25 // insert the FCS
	dcmdRS   = 1 << 27 // report status (write DD back)
	dcmdDEXT = 1 << 29 // extended descriptor

	tucmdTCP = 1 << 24 // context: TCP (else UDP)
	tucmdIP  = 1 << 25 // context: IPv4

	popTXSM = 1 << 9 // in the status word: insert the TCP/UDP checksum

	txsDD = 1 << 0
)
