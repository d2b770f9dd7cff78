package link

// A GSOEndpoint segments large TCP packets itself (TCP segmentation
// offload: virtio-net's HOST_TSO4). The stack sends such a device one
// frame holding an IPv4 TCP packet of up to GSOMaxSize bytes, with the
// checksum seeded as for ChecksumOffloader, and the MSS to cut its
// payload into; the device sends segments of MSS bytes (the last may be
// shorter), each with the IP and TCP headers copied, IP IDs counting up,
// sequence numbers advanced and FIN and PSH only on the last, as Linux's
// and QEMU's TSO do.
type GSOEndpoint interface {
	Endpoint
	// GSOMaxSize returns the largest IPv4 packet (IP header included)
	// WriteGSOFrame takes, or 0 when the device does not segment.
	GSOMaxSize() int
	// WriteGSOFrame sends frame, an Ethernet frame with one IPv4 TCP
	// packet of at most GSOMaxSize bytes, as segments carrying mss
	// bytes of payload each. The buffer rule of WriteFrame holds.
	WriteGSOFrame(frame []byte, mss int) error
}
