package console

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func testConsole(in string) (*Console, *strings.Builder, *int) {
	var out strings.Builder
	halts := 0
	m := Machine{
		Frames: func() (uint64, uint64) { return 100000, 131072 },
		PCI: func(w io.Writer) error {
			_, err := io.WriteString(w, "pci: 00:03.0 8086:100e 02.00 ethernet\n")
			return err
		},
		Boot: time.Now().Add(-90 * time.Second),
		Halt: func() { halts++ },
	}
	cmds := append(Standard(m), Command{"fail", "always fails", func(io.Writer, []string) error {
		return errors.New("it failed")
	}}, Command{"echo", "print the arguments", func(w io.Writer, args []string) error {
		_, err := io.WriteString(w, "["+strings.Join(args, "|")+"]\n")
		return err
	}})
	return &Console{In: strings.NewReader(in), Out: &out, Commands: cmds}, &out, &halts
}

func TestLineEditing(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // what echo prints
	}{
		{"plain", "echo a b\r", "[a|b]"},
		{"lf", "echo a\n", "[a]"},
		{"backspace", "echo abx\bc\r", "[abc]"},
		{"del", "echo abx\x7fc\r", "[abc]"},
		{"backspace at start", "\b\x7fecho z\r", "[z]"},
		{"ctrl-u", "garbage\x15echo ok\r", "[ok]"},
		{"ctrl-c", "echo no\x03echo yes\r", "[yes]"},
		{"arrow keys", "echo \x1b[Ax\x1b[1;5Dy\r", "[xy]"},
		{"controls dropped", "ec\x01ho \x02q\r", "[q]"},
		{"extra spaces", "  echo   a   \r", "[a]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, out, _ := testConsole(tt.in)
			if err := c.Run(); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), tt.want+"\n") {
				t.Errorf("output %q lacks %q", out.String(), tt.want)
			}
			if strings.Contains(out.String(), "unknown command") {
				t.Errorf("output %q: a line was misread", out.String())
			}
		})
	}
}

func TestEcho(t *testing.T) {
	c, out, _ := testConsole("ab\bc\x15\r")
	c.Run()
	if want := Prompt + "ab\b \bc" + "\b \b\b \b" + "\n" + Prompt; out.String() != want {
		t.Errorf("echo = %q, want %q", out.String(), want)
	}
}

func TestCRLFOneKeyAtATime(t *testing.T) {
	c, out, _ := testConsole("")
	c.In = &oneByteReader{s: "echo 1\r\necho 2\r\n"}
	c.Run()
	if got := strings.Count(out.String(), Prompt); got != 3 {
		t.Errorf("%d prompts, want 3 (CR LF is one Enter): %q", got, out.String())
	}
}

type oneByteReader struct{ s string }

func (r *oneByteReader) Read(b []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	b[0] = r.s[0]
	r.s = r.s[1:]
	return 1, nil
}

func TestLongLine(t *testing.T) {
	c, out, _ := testConsole("echo " + strings.Repeat("x", 2*maxLine) + "\r")
	c.Run()
	if !strings.Contains(out.String(), "\a") {
		t.Error("no bell for an overlong line")
	}
	if strings.Count(out.String(), "x") > 2*maxLine {
		t.Error("line longer than maxLine accepted")
	}
}

func TestCommands(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"help\r", []string{"help", "mem", "pci", "gc", "uptime", "halt"}},
		{"nosuch arg\r", []string{"nosuch: unknown command (try help)"}},
		{"mem\r", []string{"frames: 100000 free of 131072", "121.4 MiB held", "go heap:", "GCs"}},
		{"pci\r", []string{"8086:100e"}},
		{"gc\r", []string{"gc: heap", "GC #"}},
		{"uptime\r", []string{"up 1m30"}},
		{"fail\r", []string{"fail: it failed"}},
	}
	for _, tt := range tests {
		c, out, _ := testConsole(tt.in)
		if err := c.Run(); err != nil {
			t.Errorf("%q: %v", tt.in, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%q: output %q lacks %q", tt.in, out.String(), w)
			}
		}
		if !strings.HasSuffix(out.String(), Prompt) {
			t.Errorf("%q: no prompt after the command: %q", tt.in, out.String())
		}
	}
}

func TestHalt(t *testing.T) {
	c, out, halts := testConsole("halt\rhelp\r")
	if err := c.Run(); !errors.Is(err, ErrHalt) {
		t.Errorf("Run = %v, want ErrHalt", err)
	}
	if *halts != 1 || strings.Contains(out.String(), "uptime") {
		t.Errorf("halts = %d, output %q: halt must stop the console", *halts, out.String())
	}
}

// FuzzConsole feeds arbitrary keystrokes to the line editor and commands
// that do not touch the machine.
func FuzzConsole(f *testing.F) {
	f.Add("echo hi\r\x1b[A\x7f\x15help\r")
	f.Fuzz(func(t *testing.T, in string) {
		c, _, _ := testConsole(in)
		c.Commands = c.Commands[len(c.Commands)-2:] // fail, echo
		if err := c.Run(); err != nil {
			t.Fatal(err)
		}
	})
}
