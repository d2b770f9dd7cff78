// Package console is the kernel console that runs until user space exists:
// a prompt, a line editor and a table of commands. It works over any
// io.Reader and io.Writer (the UART in the kernel, buffers in tests), so
// it is tested on the host.
package console

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Prompt is printed before every command line.
const Prompt = "scone> "

// maxLine bounds a command line; keys past it are refused with a bell.
const maxLine = 256

// ErrHalt is returned by a command to end the console; Run returns it.
var ErrHalt = errors.New("console: halt")

// A Command is one entry of the command table.
type Command struct {
	Name string
	Help string // one line
	Run  func(w io.Writer, args []string) error
}

// A Console reads command lines from In and runs them, writing to Out.
type Console struct {
	In       io.Reader
	Out      io.Writer
	Commands []Command

	afterCR bool // the last line ended with CR
}

// Run prints the prompt, reads a line, runs its command, and repeats until
// a command returns ErrHalt (which Run returns) or input ends (nil).
// A command's other errors are printed and the console goes on.
func (c *Console) Run() error {
	in := bufio.NewReader(c.In)
	for {
		io.WriteString(c.Out, Prompt)
		line, err := c.readLine(in)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := c.exec(line); err != nil {
			return err
		}
	}
}

// exec runs one command line; only ErrHalt comes back.
func (c *Console) exec(line string) error {
	args := strings.Fields(line)
	if len(args) == 0 {
		return nil
	}
	if args[0] == "help" {
		c.help()
		return nil
	}
	for _, cmd := range c.Commands {
		if cmd.Name != args[0] {
			continue
		}
		err := cmd.Run(c.Out, args[1:])
		if errors.Is(err, ErrHalt) {
			return err
		}
		if err != nil {
			fmt.Fprintf(c.Out, "%s: %v\n", args[0], err)
		}
		return nil
	}
	fmt.Fprintf(c.Out, "%s: unknown command (try help)\n", args[0])
	return nil
}

func (c *Console) help() {
	fmt.Fprintf(c.Out, "  %-8s %s\n", "help", "list the commands")
	for _, cmd := range c.Commands {
		fmt.Fprintf(c.Out, "  %-8s %s\n", cmd.Name, cmd.Help)
	}
}

// Keys the line editor understands.
const (
	keyCtrlC     = 0x03
	keyBackspace = 0x08
	keyBell      = 0x07
	keyCtrlU     = 0x15
	keyEsc       = 0x1B
	keyDel       = 0x7F
)

// readLine reads one line, echoing what is typed and handling backspace
// and DEL (erase a character), ^U (erase the line), ^C (abandon the line)
// and Enter (CR, LF or CR LF). Escape sequences (arrow keys) are ignored.
func (c *Console) readLine(in *bufio.Reader) (string, error) {
	var line []byte
	for {
		b, err := in.ReadByte()
		if err != nil {
			return "", err
		}
		if b != '\n' {
			c.afterCR = false
		}
		switch {
		case b == '\n' && c.afterCR && len(line) == 0:
			// The LF of a CR LF that ended the previous line; it may
			// arrive long after the CR, one keystroke at a time.
			c.afterCR = false
		case b == '\r' || b == '\n':
			c.afterCR = b == '\r'
			io.WriteString(c.Out, "\n")
			return string(line), nil
		case b == keyBackspace || b == keyDel:
			if len(line) > 0 {
				line = line[:len(line)-1]
				io.WriteString(c.Out, "\b \b")
			}
		case b == keyCtrlU:
			io.WriteString(c.Out, strings.Repeat("\b \b", len(line)))
			line = line[:0]
		case b == keyCtrlC:
			io.WriteString(c.Out, "^C\n")
			return "", nil
		case b == keyEsc:
			skipEscape(in)
		case b >= ' ' && b < keyDel:
			if len(line) == maxLine {
				c.Out.Write([]byte{keyBell})
				continue
			}
			line = append(line, b)
			c.Out.Write([]byte{b})
		}
	}
}

// skipEscape consumes the rest of an ANSI escape sequence: ESC [ then
// parameter bytes up to a final byte in '@'..'~', or ESC and one byte.
func skipEscape(in *bufio.Reader) {
	b, err := in.ReadByte()
	if err != nil || (b != '[' && b != 'O') {
		return
	}
	for i := 0; i < 16; i++ { // a sequence is short; never swallow a line
		b, err := in.ReadByte()
		if err != nil || (b >= '@' && b <= '~') {
			return
		}
	}
}
