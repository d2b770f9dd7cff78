// Package procnet parses the Linux /proc files the network programs read:
// /proc/uptime, /proc/meminfo, /proc/net/dev, /proc/net/snmp and
// /proc/net/{tcp,udp}. Scone's kernel writes the same formats, so the
// programs run unchanged on the host's Linux and in the guest.
//
// Each parser takes an io.Reader and rejects lines it cannot read with an
// error naming the line, rather than guessing.
package procnet
