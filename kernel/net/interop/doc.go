// Package interop holds the tests that put Scone's network stack in front
// of the real Linux stack: a private network namespace, a TAP device whose
// Linux side lives in it, dnsmasq there for DHCP and DNS, nftables rules
// dropping packets, and Linux tools (curl, ping) as the peers. The package
// has no code of its own; see the _test.go files and docs/tapnet.md.
//
// The tests need root and the tools ip, dnsmasq, nft, curl and ping. Without
// them they skip, unless the environment says CI=true, where a skip would
// hide a broken setup and they fail instead.
package interop
