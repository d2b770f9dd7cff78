module scone

go 1.26.8

require (
	github.com/google/gopacket v1.1.19
	golang.org/x/sys v0.49.0
)

require golang.org/x/net v0.62.0
