// Command coreutils is Scone's small Unix tools in one binary: each tool
// is a hard link to it (/bin/ls, /bin/cat, ...) and it runs the tool
// named by its argv[0], or by its first argument (coreutils ls -l).  One
// static Go binary instead of thirty keeps the root image small.
//
// The tools take the common options of their GNU counterparts and print
// what those print; docs/user.md lists the options.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// tools maps each tool's name to its main, which returns the exit status.
var tools = map[string]func(args []string) int{
	"cat":     cat,
	"cp":      cp,
	"date":    date,
	"df":      df,
	"echo":    echo,
	"env":     env,
	"false":   func([]string) int { return 1 },
	"free":    free,
	"grep":    grep,
	"halt":    halt,
	"head":    head,
	"hexdump": hexdump,
	"kill":    kill,
	"ln":      ln,
	"ls":      ls,
	"mkdir":   mkdir,
	"mv":      mv,
	"ps":      ps,
	"rm":      rm,
	"rmdir":   rmdir,
	"sleep":   sleep,
	"stat":    stat,
	"sync":    syncCmd,
	"tail":    tail,
	"touch":   touch,
	"true":    func([]string) int { return 0 },
	"uname":   uname,
	"wc":      wc,
}

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if tools[name] == nil && len(args) > 0 {
		if args[0] == "--list" {
			var names []string
			for n := range tools {
				names = append(names, n)
			}
			sort.Strings(names)
			fmt.Println(strings.Join(names, "\n"))
			return
		}
		name, args = args[0], args[1:]
	}
	tool := tools[name]
	if tool == nil {
		fmt.Fprintf(os.Stderr, "coreutils: no tool %q (try --list)\n", name)
		os.Exit(2)
	}
	prog = name
	os.Exit(tool(args))
}

// prog is the running tool's name, for messages.
var prog string

// warn prints a message as "tool: ..." on standard error.
func warn(format string, args ...any) {
	fmt.Fprintf(os.Stderr, prog+": "+format+"\n", args...)
}

// errText is err without the operation and path os wraps it in, since
// messages name the file themselves.
func errText(err error) string {
	switch e := err.(type) {
	case *os.PathError:
		return errText(e.Err)
	case *os.LinkError:
		return errText(e.Err)
	case *os.SyscallError:
		return errText(e.Err)
	}
	s := err.Error()
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

// flags parses short options: bools are the letters that take no value,
// values those that take one.  Letters may be combined (-la); "--" ends
// them, as does the first operand.  It returns the options seen (a bool
// option maps to "") and the operands.
func flags(args []string, bools, values string) (map[byte]string, []string, error) {
	opts := map[byte]string{}
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			return opts, args[1:], nil
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		args = args[1:]
		for i := 1; i < len(a); i++ {
			c := a[i]
			switch {
			case strings.IndexByte(bools, c) >= 0:
				opts[c] = ""
			case strings.IndexByte(values, c) >= 0:
				if i+1 < len(a) {
					opts[c] = a[i+1:]
				} else if len(args) > 0 {
					opts[c], args = args[0], args[1:]
				} else {
					return nil, nil, fmt.Errorf("option requires an argument -- '%c'", c)
				}
				i = len(a)
			default:
				return nil, nil, fmt.Errorf("invalid option -- '%c'", c)
			}
		}
	}
	return opts, args, nil
}

// has reports whether option c was given.
func has(opts map[byte]string, c byte) bool {
	_, ok := opts[c]
	return ok
}

// usage reports a bad command line and returns the status for it.
func usage(err error, synopsis string) int {
	warn("%v", err)
	fmt.Fprintf(os.Stderr, "usage: %s %s\n", prog, synopsis)
	return 2
}
