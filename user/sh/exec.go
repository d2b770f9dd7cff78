package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// run runs a parsed list.
func (sh *shell) run(l list) {
	for _, it := range l {
		if sh.exiting {
			return
		}
		if it.background {
			sh.background(it.ao)
			continue
		}
		sh.status = sh.andOr(it.ao)
	}
}

// andOr runs pipelines joined by && and ||, skipping a pipeline whose
// operator the previous status does not satisfy.
func (sh *shell) andOr(ao andOr) int {
	sh.status = sh.pipeline(ao.pipes[0], true)
	for i, op := range ao.ops {
		if sh.exiting {
			break
		}
		if (op == "&&") == (sh.status == 0) {
			sh.status = sh.pipeline(ao.pipes[i+1], true)
		}
	}
	return sh.status
}

// background runs an and-or list as a job the shell does not wait for.  A
// single pipeline runs directly; a longer list runs in a copy of this
// shell (sh -c), since only a process can wait for its pipelines.
func (sh *shell) background(ao andOr) {
	if len(ao.pipes) > 1 {
		ao = andOr{pipes: []pipeline{{sh.subshell(ao)}}}
	}
	j, err := sh.start(ao.pipes[0], false)
	if err != nil || j == nil {
		sh.status = 1
		return
	}
	sh.lastBg = j.pids[len(j.pids)-1]
	sh.status = 0
	if sh.interactive {
		fmt.Fprintf(os.Stderr, "[%d] %d\n", j.id, sh.lastBg)
	}
}

// subshell is a command that runs ao's source text in a new shell.
func (sh *shell) subshell(ao andOr) *command {
	self, _ := os.Executable()
	return &command{args: []word{{{lit: self, quoted: true}}, {{lit: "-c", quoted: true}}, {{lit: ao.text(), quoted: true}}}}
}

// pipeline runs one pipeline in the foreground and returns its status.
func (sh *shell) pipeline(pl pipeline, fg bool) int {
	if len(pl) == 1 {
		if st, ok := sh.builtinCmd(pl[0]); ok {
			return st
		}
	}
	j, err := sh.start(pl, true)
	if err != nil {
		return 1
	}
	if j == nil {
		return sh.status
	}
	return sh.waitFg(j)
}

// start starts every command of a pipeline, connected by pipes, in one
// process group (under job control) and returns the job.  A command that
// cannot start reports why and counts as exiting 127 or 126, as in sh.
func (sh *shell) start(pl pipeline, fg bool) (*job, error) {
	j := &job{text: pl.text(), done: make(chan struct{})}
	var prevRead *os.File
	for i, c := range pl {
		var pr, pw *os.File
		if i < len(pl)-1 {
			var err error
			if pr, pw, err = os.Pipe(); err != nil {
				fmt.Fprintf(os.Stderr, "sh: pipe: %v\n", err)
				return nil, err
			}
		}
		files := []*os.File{os.Stdin, os.Stdout, os.Stderr}
		if prevRead != nil {
			files[0] = prevRead
		}
		if pw != nil {
			files[1] = pw
		}
		p, status := sh.startCmd(c, files, j, fg && i == 0)
		if prevRead != nil {
			prevRead.Close()
		}
		if pw != nil {
			pw.Close()
		}
		prevRead = pr
		j.add(p, status)
	}
	sh.jobs.add(j, !fg)
	go j.wait()
	return j, nil
}

// startCmd expands and starts one command with the given standard files,
// in j's process group.  It returns the process, or nil and the status
// the command failed with.
func (sh *shell) startCmd(c *command, files []*os.File, j *job, fg bool) (*os.Process, int) {
	args := sh.expand(c.args)
	env := sh.environ(c.assigns)
	files, closers, err := sh.redirect(c.redirs, files)
	defer closeAll(closers)
	if err != nil {
		fmt.Fprintf(os.Stderr, "sh: %v\n", err)
		return nil, 1
	}
	if len(args) == 0 {
		return nil, 0 // redirections or assignments only
	}
	// Errors go where the command's own standard error would.
	errw := io.Writer(io.Discard)
	if len(files) > 2 && files[2] != nil {
		errw = files[2]
	}
	path, err := lookPath(args[0], env)
	if err != nil {
		fmt.Fprintf(errw, "sh: %s: %v\n", args[0], err)
		if err == errNotFound {
			return nil, 127
		}
		return nil, 126
	}
	sys := &syscall.SysProcAttr{}
	if sh.jobControl {
		sys.Setpgid = true
		sys.Pgid = j.pgid
		// The child makes its group the terminal's foreground before exec,
		// with signals blocked; Ctty is our descriptor for the terminal.
		sys.Foreground = fg
		sys.Ctty = 0
	}
	p, err := os.StartProcess(path, args, &os.ProcAttr{Env: env, Files: files, Sys: sys})
	if err != nil {
		fmt.Fprintf(errw, "sh: %s: %v\n", args[0], unwrap(err))
		if os.IsNotExist(err) {
			return nil, 127
		}
		return nil, 126
	}
	if j.pgid == 0 {
		j.pgid = p.Pid
	}
	return p, 0
}

// unwrap drops the "fork/exec PATH:" prefix from a start error.
func unwrap(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

var errNotFound = fmt.Errorf("not found")

// lookPath finds name in the PATH of env; a name with a slash is used as
// it is.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	path := "/bin"
	for _, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			path = kv[5:]
		}
	}
	for _, dir := range strings.Split(path, ":") {
		if dir == "" {
			dir = "."
		}
		p := dir + "/" + name
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", errNotFound
}

// redirect applies redirections, in order, to a copy of files.  It
// returns the files it opened, for the caller to close once the command
// has started.
func (sh *shell) redirect(rs []redir, files []*os.File) ([]*os.File, []*os.File, error) {
	files = append([]*os.File(nil), files...)
	var opened []*os.File
	for _, r := range rs {
		target := sh.word1(r.target)
		for len(files) <= r.fd {
			files = append(files, nil)
		}
		var f *os.File
		var err error
		switch r.op {
		case "<":
			f, err = os.Open(target)
		case ">":
			f, err = os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
		case ">>":
			f, err = os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o666)
		case ">&", "<&":
			if target == "-" {
				files[r.fd] = nil // close it
				continue
			}
			n, e := strconv.Atoi(target)
			if e != nil || n < 0 || n >= len(files) || files[n] == nil {
				return files, opened, fmt.Errorf("%s: bad file descriptor", target)
			}
			files[r.fd] = files[n]
			continue
		}
		if err != nil {
			return files, opened, fmt.Errorf("%s: %v", target, unwrap(err))
		}
		opened = append(opened, f)
		files[r.fd] = f
	}
	return files, opened, nil
}

func closeAll(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

// environ is the environment for a command: the exported variables, with
// the command's own assignments over them.
func (sh *shell) environ(as []assign) []string {
	vals := map[string]string{}
	for name := range sh.exported {
		if v, ok := sh.vars[name]; ok {
			vals[name] = v
		}
	}
	for _, a := range as {
		vals[a.name] = sh.word1(a.value)
	}
	env := make([]string, 0, len(vals))
	for k, v := range vals {
		env = append(env, k+"="+v)
	}
	return env
}

// exitStatus turns a wait status into a shell status: the exit status, or
// 128 plus the signal number.
func exitStatus(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// text renders an and-or list back into shell source.
func (ao andOr) text() string {
	var b strings.Builder
	for i, p := range ao.pipes {
		if i > 0 {
			b.WriteString(" " + ao.ops[i-1] + " ")
		}
		b.WriteString(p.text())
	}
	return b.String()
}

func (pl pipeline) text() string {
	var cs []string
	for _, c := range pl {
		var ws []string
		for _, a := range c.assigns {
			ws = append(ws, a.name+"="+a.value.text())
		}
		for _, w := range c.args {
			ws = append(ws, w.text())
		}
		for _, r := range c.redirs {
			ws = append(ws, strconv.Itoa(r.fd)+r.op+r.target.text())
		}
		cs = append(cs, strings.Join(ws, " "))
	}
	return strings.Join(cs, " | ")
}

// text renders a word back into source, quoting what was quoted.
func (w word) text() string {
	var b strings.Builder
	for _, p := range w {
		switch {
		case p.param != "" && p.quoted:
			b.WriteString(`"${` + p.param + `}"`)
		case p.param != "":
			b.WriteString("${" + p.param + "}")
		case p.quoted:
			b.WriteString("'" + strings.ReplaceAll(p.lit, "'", `'\''`) + "'")
		default:
			b.WriteString(p.lit)
		}
	}
	return b.String()
}
