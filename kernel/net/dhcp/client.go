package dhcp

import (
	"math/rand/v2"
	"sync"
	"time"

	"scone/kernel/net/clock"
	"scone/kernel/net/tcpip"
)

// Conn is how the client reaches the network: one UDP datagram from src
// port 68 to dst port 67. src is 0.0.0.0 until an address is leased, then
// the leased address; dst is 255.255.255.255 or the server's address. The
// owner of the Conn hands datagrams that arrive on port 68 to
// Client.Deliver.
type Conn interface {
	Send(src, dst tcpip.Addr, payload []byte) error
}

// Lease is what a server granted: everything the stack needs to configure
// the interface.
type Lease struct {
	Addr       tcpip.Addr
	Subnet     tcpip.Subnet // the subnet Addr is on
	Router     tcpip.Addr   // default gateway; 0.0.0.0 if none was offered
	DNS        []tcpip.Addr
	DomainName string
	Server     tcpip.Addr    // the server that granted it (option 54)
	Duration   time.Duration // Infinite for a permanent lease
	T1, T2     time.Duration // renew and rebind times, from Acquired
	Acquired   time.Time     // when the REQUEST that won the lease was sent
}

// Config configures a Client. MAC, Conn and Clock are required.
type Config struct {
	MAC      tcpip.MAC
	Conn     Conn
	Clock    clock.Clock
	Hostname string // sent as option 12 if not empty

	// OnBound runs after each ACK: the first lease and every renewal (the
	// address may change only after a lease was lost). OnLost runs when a
	// lease ends: expiry, a NAK, Decline or Release. Both run without the
	// client's lock held, on the goroutine that delivered the ACK or fired
	// the timer, and may call back into the client.
	OnBound func(Lease)
	OnLost  func(Lease)

	// InitialTimeout is the first retransmission timeout (RFC 2131 4.1
	// suggests 4 s); it doubles on each retry up to MaxTimeout (64 s),
	// each randomized by up to ±Jitter (1 s).
	InitialTimeout time.Duration
	MaxTimeout     time.Duration
	Jitter         time.Duration
	// RequestRetries is how many times a REQUEST is retransmitted before
	// the client gives up on the offer and starts over with DISCOVER.
	RequestRetries int

	// Rand returns random numbers for transaction IDs and jitter; nil
	// means math/rand/v2.
	Rand func() uint64
}

// State is where the client is in RFC 2131's state diagram (figure 5).
type State int

const (
	Stopped    State = iota
	Selecting        // DISCOVER sent, waiting for an OFFER
	Requesting       // REQUEST sent for an offer, waiting for the ACK
	Bound            // holding a lease, waiting for T1
	Renewing         // after T1: REQUEST unicast to the leasing server
	Rebinding        // after T2: REQUEST broadcast to any server
	Backoff          // after a DECLINE: waiting before starting over
)

var stateNames = [...]string{"STOPPED", "SELECTING", "REQUESTING", "BOUND", "RENEWING", "REBINDING", "BACKOFF"}

func (s State) String() string { return stateNames[s] }

// Stats counts what the client saw and did.
type Stats struct {
	Sent       uint64 // messages sent
	SendErrors uint64 // Conn.Send failures
	Received   uint64 // datagrams delivered
	Malformed  uint64 // datagrams that did not parse
	Ignored    uint64 // well-formed but not for us now (xid, MAC, type, state)
	Offers     uint64
	Acks       uint64
	Naks       uint64
	Retries    uint64 // retransmissions
	Leases     uint64 // leases bound, including renewals
	Lost       uint64 // leases lost
}

// declineWait is how long the client waits after a DECLINE before starting
// over (RFC 2131 3.1.5: at least ten seconds).
const declineWait = 10 * time.Second

// minRenewWait is the smallest wait between REQUESTs while renewing or
// rebinding (RFC 2131 4.4.5: "down to a minimum of 60 seconds").
const minRenewWait = 60 * time.Second

// Client leases one address. It is safe for concurrent use.
type Client struct {
	cfg Config

	mu      sync.Mutex
	state   State
	xid     uint32
	start   time.Time // start of the current exchange, for the secs field
	sentAt  time.Time // when the last REQUEST went out, for lease times
	tries   int       // transmissions of the current message
	offer   *Message  // the offer being requested
	lease   Lease     // valid in Bound, Renewing and Rebinding
	timer   clock.Timer
	gen     uint64 // bumped on every timer change; stale firings see a mismatch
	stats   Stats
	pending []func() // callbacks to run once mu is released
}

// NewClient returns a stopped client for cfg, filling in defaults.
func NewClient(cfg Config) *Client {
	if cfg.InitialTimeout <= 0 {
		cfg.InitialTimeout = 4 * time.Second
	}
	if cfg.MaxTimeout <= 0 {
		cfg.MaxTimeout = 64 * time.Second
	}
	if cfg.Jitter < 0 {
		cfg.Jitter = 0
	} else if cfg.Jitter == 0 {
		cfg.Jitter = time.Second
	}
	if cfg.RequestRetries <= 0 {
		cfg.RequestRetries = 4
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Uint64
	}
	return &Client{cfg: cfg}
}

// Start begins acquiring a lease. It does nothing unless the client is
// stopped.
func (c *Client) Start() {
	c.mu.Lock()
	if c.state == Stopped {
		c.discover()
	}
	c.unlock()
}

// Stop halts the client without telling the server (the lease, if any,
// stays valid on the server until it expires). OnLost is not called.
func (c *Client) Stop() {
	c.mu.Lock()
	c.setTimer(-1)
	c.state = Stopped
	c.unlock()
}

// Release gives the lease back to the server (DHCPRELEASE) and stops.
func (c *Client) Release() {
	c.mu.Lock()
	if c.hasLease() {
		m := c.newMessage(Release)
		m.CIAddr = c.lease.Addr
		m.ServerID = c.lease.Server
		c.send(c.lease.Addr, c.lease.Server, m)
		c.lose()
	}
	c.setTimer(-1)
	c.state = Stopped
	c.unlock()
}

// Decline tells the server that the leased address is already in use (the
// stack's ARP probe found another owner), drops the lease and starts over
// after a pause.
func (c *Client) Decline() {
	c.mu.Lock()
	if c.hasLease() {
		m := c.newMessage(Decline)
		m.RequestedIP = c.lease.Addr
		m.ServerID = c.lease.Server
		c.send(tcpip.AnyAddr, tcpip.BroadcastAddr, m)
		c.lose()
		c.state = Backoff
		c.setTimer(declineWait)
	}
	c.unlock()
}

// State returns the client's current state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Lease returns the current lease, if there is one.
func (c *Client) Lease() (Lease, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lease, c.hasLease()
}

// Stats returns a snapshot of the counters.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

func (c *Client) hasLease() bool {
	return c.state == Bound || c.state == Renewing || c.state == Rebinding
}

// unlock releases mu and then runs the callbacks queued while it was held.
func (c *Client) unlock() {
	p := c.pending
	c.pending = nil
	c.mu.Unlock()
	for _, f := range p {
		f()
	}
}

// discover starts over from INIT: a new transaction, DISCOVER broadcast.
func (c *Client) discover() {
	c.state = Selecting
	c.offer = nil
	c.newExchange()
	c.transmit()
}

// newExchange picks a fresh transaction ID and restarts the retry count.
func (c *Client) newExchange() {
	c.xid = uint32(c.cfg.Rand())
	c.start = c.cfg.Clock.Now()
	c.tries = 0
}

// transmit sends (or resends) the message of the current state and arms
// the timer for the next step.
func (c *Client) transmit() {
	if c.tries > 0 {
		c.stats.Retries++
	}
	c.tries++
	switch c.state {
	case Selecting:
		m := c.newMessage(Discover)
		m.Flags = flagBroadcast
		c.send(tcpip.AnyAddr, tcpip.BroadcastAddr, m)
		c.setTimer(c.backoff())
	case Requesting:
		m := c.newMessage(Request)
		m.Flags = flagBroadcast
		m.RequestedIP = c.offer.YIAddr
		m.ServerID = c.offer.ServerID
		c.sentAt = c.cfg.Clock.Now()
		c.send(tcpip.AnyAddr, tcpip.BroadcastAddr, m)
		c.setTimer(c.backoff())
	case Renewing, Rebinding:
		// RFC 2131 4.3.2: ciaddr set, no server ID or requested IP;
		// unicast to the leasing server while renewing, broadcast
		// while rebinding.
		m := c.newMessage(Request)
		m.CIAddr = c.lease.Addr
		c.sentAt = c.cfg.Clock.Now()
		dst := c.lease.Server
		if c.state == Rebinding {
			dst = tcpip.BroadcastAddr
		}
		c.send(c.lease.Addr, dst, m)
		c.setTimer(c.renewWait())
	}
}

// backoff returns the wait before the next retransmission: the initial
// timeout doubled per try, capped, plus or minus random jitter.
func (c *Client) backoff() time.Duration {
	d := c.cfg.InitialTimeout
	for i := 1; i < c.tries && d < c.cfg.MaxTimeout; i++ {
		d *= 2
	}
	d = min(d, c.cfg.MaxTimeout)
	if j := c.cfg.Jitter; j > 0 {
		d += time.Duration(c.cfg.Rand()%uint64(2*j+1)) - j
	}
	return max(d, time.Millisecond)
}

// renewWait is the wait before the next REQUEST while renewing (until T2)
// or rebinding (until expiry): half the time left, at least a minute, but
// never past the deadline itself, where the state changes.
func (c *Client) renewWait() time.Duration {
	end := c.lease.Acquired.Add(c.lease.T2)
	if c.state == Rebinding {
		end = c.lease.Acquired.Add(c.lease.Duration)
	}
	left := end.Sub(c.cfg.Clock.Now())
	return max(min(max(left/2, minRenewWait), left), 0)
}

// newMessage returns a client message of type t for the current exchange.
func (c *Client) newMessage(t MessageType) *Message {
	secs := c.cfg.Clock.Now().Sub(c.start) / time.Second
	m := &Message{
		Op:     opRequest,
		XID:    c.xid,
		Secs:   uint16(min(secs, 0xffff)),
		CHAddr: c.cfg.MAC,
		Type:   t,
	}
	if t == Discover || t == Request {
		m.ParamList = []byte{optSubnetMask, optRouter, optDNS, optDomainName,
			optLeaseTime, optRenewalT1, optRebindT2}
		m.MaxSize = 1500
		m.Hostname = c.cfg.Hostname
	}
	m.ClientID = append([]byte{1}, c.cfg.MAC[:]...)
	return m
}

func (c *Client) send(src, dst tcpip.Addr, m *Message) {
	c.stats.Sent++
	if err := c.cfg.Conn.Send(src, dst, m.Marshal()); err != nil {
		// A failed send is just a lost packet: the retry timer covers it.
		c.stats.SendErrors++
	}
}

// setTimer arms the single state timer to fire after d, or disarms it if
// d < 0. Each arming gets a new generation so a firing that raced with a
// state change is recognised and ignored.
func (c *Client) setTimer(d time.Duration) {
	c.gen++
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	if d < 0 {
		return
	}
	gen := c.gen
	c.timer = c.cfg.Clock.AfterFunc(d, func() { c.fire(gen) })
}

// fire is the state timer: a retransmission, or a lease deadline.
func (c *Client) fire(gen uint64) {
	c.mu.Lock()
	defer c.unlock()
	if gen != c.gen {
		return
	}
	now := c.cfg.Clock.Now()
	switch c.state {
	case Selecting:
		c.transmit()
	case Requesting:
		if c.tries > c.cfg.RequestRetries {
			c.discover() // the offer went stale: start over
			return
		}
		c.transmit()
	case Backoff:
		c.discover()
	case Bound, Renewing, Rebinding:
		c.leaseTimer(now)
	}
}

// leaseTimer moves through BOUND -> RENEWING -> REBINDING -> INIT as the
// lease's deadlines pass, retransmitting in between.
func (c *Client) leaseTimer(now time.Time) {
	l := c.lease
	switch {
	case !now.Before(l.Acquired.Add(l.Duration)):
		c.lose()
		c.discover()
		return
	case !now.Before(l.Acquired.Add(l.T2)) && c.state != Rebinding:
		c.state = Rebinding
		c.newExchange()
	case c.state == Bound:
		c.state = Renewing
		c.newExchange()
	}
	c.transmit()
}

// lose ends the current lease and queues OnLost.
func (c *Client) lose() {
	l := c.lease
	c.lease = Lease{}
	c.stats.Lost++
	if f := c.cfg.OnLost; f != nil {
		c.pending = append(c.pending, func() { f(l) })
	}
}
