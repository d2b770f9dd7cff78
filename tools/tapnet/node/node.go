// Package node makes a Scone host (kernel/net/host) usable by Go's
// standard library: it adapts the stack's TCP endpoints to net.Listener
// and net.Conn, so net/http serves and fetches through Scone's stack. The
// tapnet tool and the Linux interop tests are built on it; the kernel,
// which has no net package, uses kernel/net/host and the socket layer.
package node

import (
	"scone/kernel/net/host"
	"scone/kernel/net/link"
)

// Node is a host with net.Listener and net.Conn adapters.
type Node struct{ *host.Host }

// Options configure a Node (see host.Options).
type Options = host.Options

// New builds a node on dev (see host.New).
func New(dev link.Endpoint, opts Options) (*Node, error) {
	h, err := host.New(dev, opts)
	if err != nil {
		return nil, err
	}
	return &Node{h}, nil
}
