package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scone/user/internal/testnet"
)

// startListener runs `nc -l -v ARGS` and waits for it to say it listens.
func startListener(t *testing.T, ctx context.Context, bin string, stdin io.Reader, stdout io.Writer, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-l", "-v"}, args...)...)
	cmd.Stdin, cmd.Stdout = stdin, stdout
	errp, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(errp)
	if !sc.Scan() || !strings.Contains(sc.Text(), "listening on") {
		t.Fatalf("nc -l said %q", sc.Text())
	}
	addr := sc.Text()[strings.LastIndex(sc.Text(), " ")+1:]
	go io.Copy(io.Discard, errp)
	return cmd, addr
}

func randomFile(t *testing.T, size int) (string, [32]byte) {
	b := make([]byte, size)
	rand.NewChaCha8([32]byte{7}).Read(b)
	p := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, sha256.Sum256(b)
}

func sumFile(t *testing.T, p string) [32]byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestTCP64MiB sends 64 MiB each way between `nc -l` and `nc` over
// loopback and checks every byte.
func TestTCP64MiB(t *testing.T) {
	bin := testnet.Build(t, "scone/user/nc")
	data, sum := randomFile(t, 64<<20)
	for _, dir := range []string{"to listener", "from listener"} {
		t.Run(strings.ReplaceAll(dir, " ", "_"), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			in, err := os.Open(data)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			outPath := filepath.Join(t.TempDir(), "out")
			out, err := os.Create(outPath)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			null, _ := os.Open(os.DevNull)
			defer null.Close()
			lIn, lOut, cIn, cOut := io.Reader(null), io.Writer(out), io.Reader(in), io.Writer(io.Discard)
			if dir == "from listener" {
				lIn, lOut, cIn, cOut = in, io.Discard, null, out
			}
			l, addr := startListener(t, ctx, bin, lIn, lOut, "127.0.0.1", "0")
			host, port, _ := net.SplitHostPort(addr)
			c := exec.CommandContext(ctx, bin, host, port)
			c.Stdin, c.Stdout = cIn, cOut
			var stderr strings.Builder
			c.Stderr = &stderr
			if err := c.Run(); err != nil {
				t.Fatalf("nc: %v %s", err, stderr.String())
			}
			if err := l.Wait(); err != nil {
				t.Fatalf("nc -l: %v", err)
			}
			if got := sumFile(t, outPath); got != sum {
				fi, _ := os.Stat(outPath)
				t.Fatalf("received %d bytes that differ from the 64 MiB sent", fi.Size())
			}
		})
	}
}

// TestUDP: a datagram from `nc -u` is printed by `nc -l -u`, whose input
// goes back to the sender.
func TestUDP(t *testing.T) {
	bin := testnet.Build(t, "scone/user/nc")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lr, lw := io.Pipe()
	pr, pw := io.Pipe()
	l, addr := startListener(t, ctx, bin, lr, pw, "-u", "127.0.0.1", "0")
	defer l.Process.Kill()
	host, port, _ := net.SplitHostPort(addr)
	c := exec.CommandContext(ctx, bin, "-u", "-w", "5s", host, port)
	cin, _ := c.StdinPipe()
	cout, _ := c.StdoutPipe()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(cin, "hello from the client\n")
	got := bufio.NewReader(pr)
	line, err := got.ReadString('\n')
	if err != nil || line != "hello from the client\n" {
		t.Fatalf("listener printed %q, %v", line, err)
	}
	io.WriteString(lw, "hello back\n")
	reply, err := bufio.NewReader(cout).ReadString('\n')
	if err != nil || reply != "hello back\n" {
		t.Fatalf("client printed %q, %v", reply, err)
	}
	cin.Close()
	if err := c.Wait(); err != nil {
		t.Errorf("nc -u: %v", err)
	}
}

func TestErrors(t *testing.T) {
	bin := testnet.Build(t, "scone/user/nc")
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	for _, tc := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"127.0.0.1", port}, "connection refused", 1},
		{[]string{"127.0.0.1"}, "usage: nc", 2},
		{[]string{"-l", "127.0.0.1", "99999"}, "invalid port", 1},
	} {
		out, err := exec.Command(bin, tc.args...).CombinedOutput()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != tc.code || !strings.Contains(string(out), tc.want) {
			t.Errorf("nc %v: %v %q; want status %d and %q", tc.args, err, out, tc.code, tc.want)
		}
	}
}
