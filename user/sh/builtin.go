package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// builtins run inside the shell, since they change its state.
var builtins = map[string]func(sh *shell, args []string, out, errw io.Writer) int{
	"cd":     (*shell).cd,
	"exit":   (*shell).exit,
	"export": (*shell).export,
	"unset":  (*shell).unset,
	"wait":   (*shell).wait,
	"jobs":   (*shell).jobsCmd,
	"pwd":    (*shell).pwd,
	":":      func(*shell, []string, io.Writer, io.Writer) int { return 0 },
}

// builtinCmd runs c in the shell if it is a builtin or only assignments;
// ok is false if c is an ordinary command.
func (sh *shell) builtinCmd(c *command) (status int, ok bool) {
	if len(c.args) == 0 {
		if len(c.redirs) > 0 {
			return 0, false // "> file" creates the file, in a child
		}
		for _, a := range c.assigns {
			sh.vars[a.name] = sh.word1(a.value)
		}
		return 0, true
	}
	first := sh.fields(c.args[0])
	if len(first) == 0 || builtins[first[0]] == nil {
		return 0, false
	}
	args := sh.expand(c.args)
	files, opened, err := sh.redirect(c.redirs, []*os.File{os.Stdin, os.Stdout, os.Stderr})
	defer closeAll(opened)
	if err != nil {
		fmt.Fprintf(os.Stderr, "sh: %v\n", err)
		return 1, true
	}
	out, errw := io.Writer(io.Discard), io.Writer(io.Discard)
	if len(files) > 1 && files[1] != nil {
		out = files[1]
	}
	if len(files) > 2 && files[2] != nil {
		errw = files[2]
	}
	return builtins[args[0]](sh, args, out, errw), true
}

func (sh *shell) cd(args []string, out, errw io.Writer) int {
	dir := sh.vars["HOME"]
	if len(args) > 1 {
		dir = args[1]
	}
	if dir == "-" {
		dir = sh.vars["OLDPWD"]
		fmt.Fprintln(out, dir)
	}
	if dir == "" {
		fmt.Fprintln(errw, "cd: no directory")
		return 1
	}
	old, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		fmt.Fprintf(errw, "cd: %s: %v\n", dir, unwrap(err))
		return 1
	}
	pwd, _ := os.Getwd()
	sh.vars["OLDPWD"], sh.vars["PWD"] = old, pwd
	return 0
}

func (sh *shell) exit(args []string, out, errw io.Writer) int {
	status := sh.status
	if len(args) > 1 {
		n, err := strconv.Atoi(args[1])
		if err != nil {
			fmt.Fprintf(errw, "exit: %s: numeric argument required\n", args[1])
			n = 2
		}
		status = n & 0xff
	}
	sh.exiting = true
	return status
}

// export marks variables for the environment of commands; with no
// arguments it lists them.
func (sh *shell) export(args []string, out, errw io.Writer) int {
	if len(args) == 1 {
		var names []string
		for n := range sh.exported {
			if _, ok := sh.vars[n]; ok {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(out, "export %s=%s\n", n, word{{lit: sh.vars[n], quoted: true}}.text())
		}
		return 0
	}
	status := 0
	for _, a := range args[1:] {
		name, val, hasVal := strings.Cut(a, "=")
		if _, n := paramName(name); n != len(name) || n == 0 || !(name[0] == '_' || isAlpha(name[0])) {
			fmt.Fprintf(errw, "export: %s: not a valid name\n", name)
			status = 1
			continue
		}
		if hasVal {
			sh.vars[name] = val
		}
		sh.exported[name] = true
	}
	return status
}

func (sh *shell) unset(args []string, out, errw io.Writer) int {
	for _, name := range args[1:] {
		delete(sh.vars, name)
		delete(sh.exported, name)
	}
	return 0
}

// wait waits for the given jobs (%N) or process IDs, or for every
// background job; its status is the last one waited for.
func (sh *shell) wait(args []string, out, errw io.Writer) int {
	status := 0
	jobs := sh.jobs.list()
	if len(args) == 1 {
		for _, j := range jobs {
			<-j.done
			status = j.status
			sh.jobs.remove(j)
		}
		return status
	}
	for _, a := range args[1:] {
		j := findJob(jobs, a)
		if j == nil {
			fmt.Fprintf(errw, "wait: %s: no such job\n", a)
			status = 127
			continue
		}
		<-j.done
		status = j.status
		sh.jobs.remove(j)
	}
	return status
}

// findJob finds a job by %N or by the process ID of one of its commands.
func findJob(jobs []*job, spec string) *job {
	for _, j := range jobs {
		if spec == "%"+strconv.Itoa(j.id) {
			return j
		}
		for _, pid := range j.pids {
			if pid != 0 && spec == strconv.Itoa(pid) {
				return j
			}
		}
	}
	return nil
}

func (sh *shell) jobsCmd(args []string, out, errw io.Writer) int {
	for _, j := range sh.jobs.list() {
		state := "Running"
		if finished(j) {
			state = fmt.Sprintf("Done(%d)", j.status)
		}
		fmt.Fprintf(out, "[%d] %d %s\t%s\n", j.id, j.pids[0], state, j.text)
	}
	return 0
}

func (sh *shell) pwd(args []string, out, errw io.Writer) int {
	dir, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(errw, "pwd: %v\n", err)
		return 1
	}
	fmt.Fprintln(out, dir)
	return 0
}
