package runqemu

import "net"

// FreePort returns a TCP port on the loopback interface that was free a
// moment ago, so that concurrent QEMUs (tests, a developer's `make qemu`)
// do not fight over the default forwarded port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
