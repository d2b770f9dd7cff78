// Package workload holds the measurements the network benchmark makes. Each
// is written once against the small Pair interface, so every stack runs the
// very same code: the only thing that differs between two columns of the
// table is the stack underneath.
package workload

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"
)

// A Pair is two network stacks, a client and a server, joined by an
// in-memory cable (package wire). A Pair is used for one measurement and
// then closed.
type Pair interface {
	// Listen opens a TCP listener on the server stack.
	Listen(port uint16) (Listener, error)
	// Dial connects from the client stack to port on the server stack.
	Dial(port uint16) (Conn, error)
	// Frames returns how many frames the cable has carried so far in both
	// directions, and how many it dropped because a ring was full.
	Frames() (sent, dropped uint64)
	// Close tears both stacks down.
	Close() error
}

// A Listener accepts TCP connections on the server stack.
type Listener interface {
	Accept() (Conn, error)
	Close() error
}

// A Conn is one end of a TCP connection with blocking Read and Write. Close
// is the graceful close of a socket: data already written is still
// delivered, then the FIN.
type Conn = io.ReadWriteCloser

// A Stack makes fresh Pairs of one implementation.
type Stack struct {
	Name    string
	NewPair func() (Pair, error)
}

// Result is what one measurement found. Which fields are set depends on the
// measurement.
type Result struct {
	Ops     float64 // operations completed: bytes, round trips or connections
	Elapsed time.Duration
	Mallocs uint64        // heap allocations made by the whole process meanwhile
	Slowest time.Duration // the longest single operation (Connections only)
	P99     time.Duration // the 99th percentile of operation times (Connections only)
	Frames  uint64        // frames the cable carried during the whole run
	Drops   uint64        // frames the cable dropped during the whole run
}

// PerSecond returns Ops per second.
func (r Result) PerSecond() float64 { return r.Ops / r.Elapsed.Seconds() }

// MallocsPer returns allocations per unit operations (per 1e6 bytes, say).
func (r Result) MallocsPer(unit float64) float64 { return float64(r.Mallocs) / (r.Ops / unit) }

const port = 5001

// mallocs returns the process's heap allocation count so far. It stops the
// world briefly, so it is called only at the edges of a measurement.
func mallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

// session listens on the server, serves the one connection it accepts with
// handle in a goroutine, and dials it from the client. handle's result or
// error arrives on the returned channels; the caller closes the client
// connection and the listener.
func session[T any](p Pair, handle func(Conn) (T, error)) (Conn, <-chan T, <-chan error, Listener, error) {
	ln, err := p.Listen(port)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("listen: %w", err)
	}
	res := make(chan T, 1)
	errc := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			errc <- fmt.Errorf("accept: %w", err)
			return
		}
		v, err := handle(c)
		c.Close()
		if err != nil {
			errc <- err
			return
		}
		res <- v
	}()
	c, err := p.Dial(port)
	if err != nil {
		ln.Close()
		return nil, nil, nil, nil, fmt.Errorf("dial: %w", err)
	}
	return c, res, errc, ln, nil
}

// bulkChunk is the size of each write and read in Bulk: a typical socket
// buffer-sized application write.
const bulkChunk = 64 << 10

type bulkDone struct {
	bytes int64
	at    time.Time
}

// Bulk measures one-way TCP throughput: the client writes bulkChunk-sized
// writes for duration d, then closes; the server reads until EOF. Ops is the
// number of bytes the server read, Elapsed runs from the first write to the
// server seeing EOF. A byte count that differs from what the client wrote is
// an error: the close must be graceful.
func Bulk(p Pair, d time.Duration) (Result, error) {
	c, done, errc, ln, err := session(p, func(c Conn) (bulkDone, error) {
		buf := make([]byte, bulkChunk)
		var n int64
		for {
			m, err := c.Read(buf)
			n += int64(m)
			if errors.Is(err, io.EOF) {
				return bulkDone{n, time.Now()}, nil
			}
			if err != nil {
				return bulkDone{}, fmt.Errorf("server read after %d bytes: %w", n, err)
			}
		}
	})
	if err != nil {
		return Result{}, err
	}
	defer ln.Close()
	buf := make([]byte, bulkChunk)
	for i := range buf {
		buf[i] = byte(i)
	}
	var sent int64
	m0 := mallocs()
	start := time.Now()
	for time.Since(start) < d {
		n, err := c.Write(buf)
		sent += int64(n)
		if err != nil {
			c.Close()
			return Result{}, fmt.Errorf("client write after %d bytes: %w", sent, err)
		}
	}
	if err := c.Close(); err != nil {
		return Result{}, fmt.Errorf("client close: %w", err)
	}
	select {
	case r := <-done:
		m1 := mallocs()
		if r.bytes != sent {
			return Result{}, fmt.Errorf("server read %d bytes, client wrote %d", r.bytes, sent)
		}
		return Result{Ops: float64(sent), Elapsed: r.at.Sub(start), Mallocs: m1 - m0}, nil
	case err := <-errc:
		return Result{}, err
	}
}

// RoundTrips measures 1-byte request/response latency: the client writes one
// byte and reads the server's one-byte answer, over and over for duration d.
// Ops is the number of completed round trips.
func RoundTrips(p Pair, d time.Duration) (Result, error) {
	c, _, errc, ln, err := session(p, func(c Conn) (struct{}, error) {
		var b [1]byte
		for {
			if _, err := io.ReadFull(c, b[:]); err != nil {
				if errors.Is(err, io.EOF) {
					return struct{}{}, nil
				}
				return struct{}{}, fmt.Errorf("server read: %w", err)
			}
			if _, err := c.Write(b[:]); err != nil {
				return struct{}{}, fmt.Errorf("server write: %w", err)
			}
		}
	})
	if err != nil {
		return Result{}, err
	}
	defer ln.Close()
	defer c.Close()
	var b [1]byte
	trip := func() error {
		if _, err := c.Write(b[:]); err != nil {
			return fmt.Errorf("client write: %w", err)
		}
		if _, err := io.ReadFull(c, b[:]); err != nil {
			return fmt.Errorf("client read: %w", err)
		}
		b[0]++
		return nil
	}
	// A short warm-up so that connection set-up and first-use costs
	// (buffers, timers) stay out of the figure.
	for range 100 {
		if err := trip(); err != nil {
			return Result{}, err
		}
	}
	var n int
	m0 := mallocs()
	start := time.Now()
	for ; time.Since(start) < d; n++ {
		if err := trip(); err != nil {
			return Result{}, fmt.Errorf("round trip %d: %w", n, err)
		}
	}
	elapsed := time.Since(start)
	m1 := mallocs()
	select {
	case err := <-errc:
		return Result{}, err
	default:
	}
	return Result{Ops: float64(n), Elapsed: elapsed, Mallocs: m1 - m0}, nil
}

// Connections measures connection set-up and tear-down: the client
// connects, the server accepts and closes, the client reads the EOF and
// closes, over and over for duration d. Ops is the number of connections
// that completed the whole cycle. The server closes first, so the TIME_WAIT
// state lands on the server's side and the client's ephemeral ports are not
// used up.
func Connections(p Pair, d time.Duration) (Result, error) {
	ln, err := p.Listen(port)
	if err != nil {
		return Result{}, fmt.Errorf("listen: %w", err)
	}
	errc := make(chan error, 1)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				errc <- err
				return
			}
			if err := c.Close(); err != nil {
				errc <- fmt.Errorf("server close: %w", err)
				return
			}
		}
	}()
	var b [1]byte
	cycle := func() error {
		c, err := p.Dial(port)
		if err != nil {
			return fmt.Errorf("dial: %w", err)
		}
		if n, err := c.Read(b[:]); n != 0 || !errors.Is(err, io.EOF) {
			c.Close()
			return fmt.Errorf("client read = %d, %v; want EOF", n, err)
		}
		return c.Close()
	}
	for range 10 {
		if err := cycle(); err != nil {
			ln.Close()
			return Result{}, err
		}
	}
	var n int
	// Every cycle's time, kept in a slice allocated before counting
	// starts; past its capacity only the slowest is tracked.
	times := make([]time.Duration, 0, 1<<20)
	var slowest time.Duration
	m0 := mallocs()
	start := time.Now()
	for now := start; now.Sub(start) < d; n++ {
		if err := cycle(); err != nil {
			ln.Close()
			return Result{}, fmt.Errorf("connection %d: %w", n, err)
		}
		prev := now
		now = time.Now()
		slowest = max(slowest, now.Sub(prev))
		if len(times) < cap(times) {
			times = append(times, now.Sub(prev))
		}
	}
	elapsed := time.Since(start)
	m1 := mallocs()
	slices.Sort(times)
	var p99 time.Duration
	if len(times) > 0 {
		p99 = times[len(times)*99/100]
	}
	ln.Close()
	select {
	case err := <-errc:
		return Result{}, err
	default:
	}
	return Result{Ops: float64(n), Elapsed: elapsed, Mallocs: m1 - m0, Slowest: slowest, P99: p99}, nil
}
