package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"
)

// getter is one download.
type getter struct {
	Client *http.Client
	Log    io.Writer // progress and messages
	Quiet  bool
	TTY    bool // Log is a terminal: redraw the progress line in place
	now    func() time.Time
}

// outName is the file a URL is saved to without -O.
func outName(u *url.URL) string {
	name := path.Base(u.Path)
	if name == "/" || name == "." || name == "" || strings.HasSuffix(u.Path, "/") {
		return "index.html"
	}
	return name
}

// Get downloads rawURL to the file out ("" for outName, "-" for stdout).
func (g *getter) Get(rawURL, out string) error {
	if g.now == nil {
		g.now = time.Now
	}
	if !strings.Contains(rawURL, "://") {
		rawURL = "http://" + rawURL // wget's default scheme
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	if u.Scheme != "http" {
		return fmt.Errorf("%s: only http:// URLs are supported", rawURL)
	}
	if out == "" {
		out = outName(u)
	}
	g.logf("Connecting to %s... ", u.Host)
	resp, err := g.Client.Get(u.String())
	if err != nil {
		g.logf("failed.\n")
		return err
	}
	defer resp.Body.Close()
	g.logf("connected.\nHTTP request sent, awaiting response... %s\n", resp.Status)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: server answered %s", u, resp.Status)
	}
	if resp.ContentLength >= 0 {
		g.logf("Length: %d (%s) [%s]\n", resp.ContentLength, human(resp.ContentLength), resp.Header.Get("Content-Type"))
	} else {
		g.logf("Length: unspecified [%s]\n", resp.Header.Get("Content-Type"))
	}
	var w io.Writer = os.Stdout
	if out != "-" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
		g.logf("Saving to: '%s'\n\n", out)
	}
	p := &progress{total: resp.ContentLength, start: g.now(), now: g.now}
	n, err := io.Copy(w, io.TeeReader(resp.Body, writerFunc(func(b []byte) {
		p.n += int64(len(b))
		if !g.Quiet && g.TTY && p.due() {
			fmt.Fprint(g.Log, "\r"+p.line())
		}
	})))
	if !g.Quiet && g.TTY {
		fmt.Fprint(g.Log, "\r"+p.line()+"\n")
	}
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("connection closed at byte %d of %d", n, resp.ContentLength)
		}
		return fmt.Errorf("after %d bytes: %w", n, err)
	}
	if f, ok := w.(*os.File); ok && out != "-" {
		if err := f.Close(); err != nil {
			return err
		}
	}
	d := g.now().Sub(p.start)
	g.logf("\n%s (%s/s) - '%s' saved [%d/%d]\n", time.Now().Format("2006-01-02 15:04:05"), human(rate(n, d)), out, n, max(n, resp.ContentLength))
	return nil
}

func (g *getter) logf(format string, a ...any) {
	if !g.Quiet {
		fmt.Fprintf(g.Log, format, a...)
	}
}

type writerFunc func([]byte)

func (f writerFunc) Write(b []byte) (int, error) { f(b); return len(b), nil }

// progress draws wget's bar: percentage, bar, bytes, rate and time left.
type progress struct {
	n, total int64
	start    time.Time
	last     time.Time
	now      func() time.Time
}

// due reports whether 200 ms passed since the line was last drawn.
func (p *progress) due() bool {
	t := p.now()
	if t.Sub(p.last) < 200*time.Millisecond {
		return false
	}
	p.last = t
	return true
}

func (p *progress) line() string {
	d := p.now().Sub(p.start)
	r := rate(p.n, d)
	if p.total <= 0 {
		return fmt.Sprintf("%12s  %10s/s", human(p.n), human(r))
	}
	const width = 30
	pct := int(100 * p.n / max(p.total, 1))
	fill := width * int(min(p.n, p.total)) / int(max(p.total, 1))
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	eta := "--"
	if r > 0 && p.n < p.total {
		eta = (time.Duration(float64(p.total-p.n)/float64(r)) * time.Second).Round(time.Second).String()
	} else if p.n >= p.total {
		eta = "in " + d.Round(time.Millisecond).String()
	}
	return fmt.Sprintf("%3d%%[%s] %10s  %10s/s  eta %s", pct, bar, human(p.n), human(r), eta)
}

// rate is bytes per second over d.
func rate(n int64, d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(float64(n) / d.Seconds())
}

// human is n bytes in B, KiB, MiB or GiB with 1 decimal.
func human(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%dB", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1fK", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1fM", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1fG", float64(n)/(1<<30))
}
