// Command sh is Scone's shell: a small POSIX-style shell with pipelines,
// redirections (< > >> N>&M), lists (; && || &), quoting and escapes,
// parameters ($VAR, ${VAR}, $?, $$, $!, $#, $0-$9, $@), file-name
// patterns, and the builtins cd, exit, export, unset, wait, jobs and pwd.
//
//	sh                 read commands from standard input
//	sh FILE [ARG...]   run a script
//	sh -c CMD [NAME [ARG...]]
//
// On a terminal it prompts with "$ " and runs each job in its own process
// group, made the terminal's foreground group, so ^C stops the job and not
// the shell.  There are no control structures (if, while, functions).
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

type shell struct {
	name     string   // $0
	args     []string // $1...
	vars     map[string]string
	exported map[string]bool
	status   int // $?
	pid      int // $$
	lastBg   int // $!

	interactive bool // prompt for input
	jobControl  bool // process groups and the terminal's foreground group
	pgid        int  // the shell's own process group
	jobs        jobTable
	exiting     bool        // the exit builtin ran
	atPrompt    atomic.Bool // waiting for a line at the prompt
}

func newShell(name string, args []string) *shell {
	sh := &shell{name: name, args: args, vars: map[string]string{}, exported: map[string]bool{}, pid: os.Getpid()}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			sh.vars[k] = v
			sh.exported[k] = true
		}
	}
	if _, ok := sh.vars["PATH"]; !ok {
		sh.vars["PATH"] = "/bin"
		sh.exported["PATH"] = true
	}
	return sh
}

func main() {
	args := os.Args[1:]
	name := os.Args[0]
	var input io.Reader = os.Stdin
	switch {
	case len(args) >= 2 && args[0] == "-c":
		sh := newShell(name, nil)
		if len(args) > 2 {
			sh.name, sh.args = args[2], args[3:]
		}
		l, err := parse(args[1])
		if err != nil {
			fmt.Fprintf(os.Stderr, "sh: -c: %v\n", err)
			os.Exit(2)
		}
		sh.run(l)
		os.Exit(sh.status)
	case len(args) >= 1 && args[0] != "-i" && args[0] != "-s":
		f, err := os.Open(args[0])
		if err != nil {
			fmt.Fprintf(os.Stderr, "sh: %s: %v\n", args[0], unwrap(err))
			os.Exit(127)
		}
		defer f.Close()
		input, name, args = f, args[0], args[1:]
	default:
		args = nil
	}
	sh := newShell(name, args)
	if input == os.Stdin {
		if _, err := unix.IoctlGetTermios(0, unix.TCGETS); err == nil {
			sh.interactive = true
		}
	}
	if sh.interactive {
		sh.initJobControl()
	}
	os.Exit(sh.repl(input))
}

// initJobControl puts the shell in its own process group in the terminal's
// foreground and catches the terminal's signals (caught, unlike ignored,
// signals are reset to their defaults in the children).
func (sh *shell) initJobControl() {
	unix.Setpgid(0, 0) // fails harmlessly for a session leader
	sh.pgid = unix.Getpgrp()
	sh.jobControl = true
	sh.setForeground(sh.pgid)
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTSTP)
	go func() {
		for s := range sigs {
			if s == syscall.SIGINT && sh.atPrompt.Load() {
				// The terminal discarded the line; start a fresh one.
				fmt.Fprint(os.Stderr, "\n$ ")
			}
		}
	}()
}

// repl reads and runs commands until end of input or exit, and returns
// the status to exit with.
func (sh *shell) repl(input io.Reader) int {
	r := bufio.NewReader(input)
	var buf strings.Builder
	line := 0
	for !sh.exiting {
		if sh.interactive {
			if buf.Len() == 0 {
				sh.report()
				fmt.Fprint(os.Stderr, "$ ")
			} else {
				fmt.Fprint(os.Stderr, "> ")
			}
			sh.atPrompt.Store(buf.Len() == 0)
		}
		s, err := r.ReadString('\n')
		sh.atPrompt.Store(false)
		line++
		buf.WriteString(s)
		if err != nil && err != io.EOF {
			fmt.Fprintf(os.Stderr, "sh: read: %v\n", err)
			return 1
		}
		if err == io.EOF && buf.Len() == 0 {
			break
		}
		l, perr := parse(buf.String())
		if errors.Is(perr, errIncomplete) && err == nil {
			continue // read the rest of the command
		}
		buf.Reset()
		if perr != nil {
			if errors.Is(perr, errIncomplete) {
				perr = errors.New("syntax error: unexpected end of file")
			}
			fmt.Fprintf(os.Stderr, "sh: line %d: %v\n", line, perr)
			sh.status = 2
			if !sh.interactive {
				return 2
			}
			continue
		}
		sh.run(l)
		if err == io.EOF {
			break
		}
	}
	if sh.interactive && !sh.exiting {
		fmt.Fprintln(os.Stderr)
	}
	return sh.status
}
