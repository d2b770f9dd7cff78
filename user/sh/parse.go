package main

import (
	"errors"
	"fmt"
	"strings"
)

// A list is what one line (or one script) holds: and-or lists separated by
// ";", "&" or newlines.
type list []item

// An item is an and-or list and whether it runs in the background ("&").
type item struct {
	ao         andOr
	background bool
}

// An andOr is pipelines joined by "&&" and "||": ops[i] joins pipes[i] and
// pipes[i+1].
type andOr struct {
	pipes []pipeline
	ops   []string
}

// A pipeline is commands joined by "|".
type pipeline []*command

// A command is a simple command: NAME=value assignments, words and
// redirections, in the order written.
type command struct {
	assigns []assign
	args    []word
	redirs  []redir
}

type assign struct {
	name  string
	value word
}

// A redir redirects descriptor fd: op is "<", ">", ">>", ">&" or "<&".  For
// the last two the target names a descriptor ("1") rather than a file.
type redir struct {
	fd     int
	op     string
	target word
}

// A word is the text of one shell word as written: literal runs and
// parameter expansions, each marked quoted or not, so expansion can tell
// "$x" (one field) from $x (split on blanks) and '*' from *.
type word []part

type part struct {
	lit    string // literal text, when param is empty
	param  string // the parameter name of $name or ${name}
	quoted bool
}

// errIncomplete means the input ends inside a quote, after a "|", "&&" or
// "||", or after a backslash: the caller should read another line.
var errIncomplete = errors.New("incomplete command")

// token kinds.
const (
	tWord = iota
	tOp
	tEnd
)

type token struct {
	kind int
	op   string // for tOp: "|", "||", "&", "&&", ";", "\n", or a redirection
	fd   int    // for a redirection: the descriptor (-1 for the default)
	w    word
}

// lexer splits shell input into tokens.
type lexer struct {
	s   string
	pos int
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// isSpecial reports whether c ends an unquoted word.
func isSpecial(c byte) bool {
	return isBlank(c) || strings.IndexByte("|&;<>\n", c) >= 0
}

func (l *lexer) next() (token, error) {
	for l.pos < len(l.s) {
		c := l.s[l.pos]
		if isBlank(c) {
			l.pos++
		} else if c == '\\' && l.pos+1 < len(l.s) && l.s[l.pos+1] == '\n' {
			if l.pos+2 == len(l.s) {
				return token{}, errIncomplete
			}
			l.pos += 2 // line continuation between words
		} else if c == '#' {
			for l.pos < len(l.s) && l.s[l.pos] != '\n' {
				l.pos++
			}
		} else {
			break
		}
	}
	if l.pos >= len(l.s) {
		return token{kind: tEnd}, nil
	}
	// A run of digits right before < or > names the descriptor.
	fd := -1
	i := l.pos
	for i < len(l.s) && l.s[i] >= '0' && l.s[i] <= '9' {
		i++
	}
	if i > l.pos && i < len(l.s) && (l.s[i] == '<' || l.s[i] == '>') && i-l.pos < 4 {
		fmt.Sscan(l.s[l.pos:i], &fd)
		l.pos = i
	}
	for _, op := range []string{"&&", "||", ">>", ">&", "<&", "|", "&", ";", "<", ">", "\n"} {
		if strings.HasPrefix(l.s[l.pos:], op) {
			l.pos += len(op)
			return token{kind: tOp, op: op, fd: fd}, nil
		}
	}
	w, err := l.word()
	return token{kind: tWord, w: w}, err
}

// word reads one word, with its quotes, escapes and expansions.
func (l *lexer) word() (word, error) {
	var w word
	var lit strings.Builder
	quoted := false
	flush := func() {
		if lit.Len() > 0 {
			w = append(w, part{lit: lit.String(), quoted: quoted})
			lit.Reset()
		}
	}
	for l.pos < len(l.s) {
		c := l.s[l.pos]
		switch {
		case !quoted && isSpecial(c):
			flush()
			return w, nil
		case c == '\\' && !quoted:
			if l.pos+1 >= len(l.s) {
				return nil, errIncomplete
			}
			if l.s[l.pos+1] == '\n' && l.pos+2 == len(l.s) {
				return nil, errIncomplete // the word goes on on the next line
			}
			if l.s[l.pos+1] != '\n' {
				flush()
				w = append(w, part{lit: l.s[l.pos+1 : l.pos+2], quoted: true})
			}
			l.pos += 2
		case c == '\\' && quoted:
			// In double quotes a backslash escapes only $ ` " \ and newline.
			if l.pos+1 >= len(l.s) {
				return nil, errIncomplete
			}
			n := l.s[l.pos+1]
			if n == '\n' {
			} else if strings.IndexByte("$`\"\\", n) >= 0 {
				lit.WriteByte(n)
			} else {
				lit.WriteByte('\\')
				lit.WriteByte(n)
			}
			l.pos += 2
		case c == '\'' && !quoted:
			end := strings.IndexByte(l.s[l.pos+1:], '\'')
			if end < 0 {
				return nil, errIncomplete
			}
			flush()
			// '' is an empty but present word, so keep even an empty part.
			w = append(w, part{lit: l.s[l.pos+1 : l.pos+1+end], quoted: true})
			l.pos += end + 2
		case c == '"':
			flush()
			if !quoted {
				// Mark the word quoted even if "" holds nothing.
				w = append(w, part{quoted: true})
			}
			quoted = !quoted
			l.pos++
		case c == '$':
			name, n := paramName(l.s[l.pos+1:])
			if n < 0 {
				return nil, fmt.Errorf("bad substitution: %s", l.s[l.pos:])
			}
			if n == 0 {
				lit.WriteByte('$') // a lone $ is literal
				l.pos++
				continue
			}
			flush()
			w = append(w, part{param: name, quoted: quoted})
			l.pos += 1 + n
		default:
			lit.WriteByte(c)
			l.pos++
		}
	}
	if quoted {
		return nil, errIncomplete
	}
	flush()
	return w, nil
}

// paramName reads the parameter name after a '$': a name, one of the
// special parameters ? $ ! # @ * 0-9, or either in braces.  It returns the
// name and the bytes consumed: 0 if s starts no parameter, -1 if a brace
// is unclosed or holds no valid name.
func paramName(s string) (string, int) {
	if s == "" {
		return "", 0
	}
	if s[0] == '{' {
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return "", -1
		}
		name, n := paramName(s[1:end])
		if n != end-1 || n == 0 {
			return "", -1
		}
		return name, end + 1
	}
	if strings.IndexByte("?$!#@*0123456789", s[0]) >= 0 {
		return s[:1], 1
	}
	i := 0
	for i < len(s) && (s[i] == '_' || isAlpha(s[i]) || i > 0 && s[i] >= '0' && s[i] <= '9') {
		i++
	}
	return s[:i], i
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// parse parses shell input into a list.  Input that ends early (an open
// quote, a trailing "|", "&&" or "||") gives errIncomplete.
func parse(s string) (list, error) {
	l := &lexer{s: s}
	var toks []token
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		if t.kind == tEnd {
			break
		}
	}
	p := &parser{toks: toks}
	return p.list()
}

type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) isOp(ops ...string) bool {
	t := p.peek()
	if t.kind != tOp {
		return false
	}
	for _, op := range ops {
		if t.op == op {
			return true
		}
	}
	return false
}

func (p *parser) list() (list, error) {
	var l list
	for {
		for p.isOp("\n") {
			p.i++ // blank lines
		}
		if p.peek().kind == tEnd {
			return l, nil
		}
		ao, err := p.andOr()
		if err != nil {
			return nil, err
		}
		it := item{ao: ao}
		switch {
		case p.isOp("&"):
			it.background = true
			p.i++
		case p.isOp(";", "\n"):
			p.i++
		case p.peek().kind != tEnd:
			return nil, fmt.Errorf("syntax error near %s", p.describe())
		}
		l = append(l, it)
	}
}

func (p *parser) andOr() (andOr, error) {
	var ao andOr
	for {
		pl, err := p.pipeline()
		if err != nil {
			return ao, err
		}
		ao.pipes = append(ao.pipes, pl)
		if !p.isOp("&&", "||") {
			return ao, nil
		}
		ao.ops = append(ao.ops, p.peek().op)
		p.i++
		if err := p.skipNewlines(); err != nil {
			return ao, err
		}
	}
}

// skipNewlines allows a line break after "|", "&&" and "||"; the end of
// input there means more is to come.
func (p *parser) skipNewlines() error {
	for p.isOp("\n") {
		p.i++
	}
	if p.peek().kind == tEnd {
		return errIncomplete
	}
	return nil
}

func (p *parser) pipeline() (pipeline, error) {
	var pl pipeline
	for {
		c, err := p.command()
		if err != nil {
			return nil, err
		}
		pl = append(pl, c)
		if !p.isOp("|") {
			return pl, nil
		}
		p.i++
		if err := p.skipNewlines(); err != nil {
			return nil, err
		}
	}
}

func (p *parser) command() (*command, error) {
	c := &command{}
	for {
		t := p.peek()
		switch {
		case t.kind == tWord:
			p.i++
			if name, val, ok := assignment(t.w); ok && len(c.args) == 0 {
				c.assigns = append(c.assigns, assign{name, val})
			} else {
				c.args = append(c.args, t.w)
			}
		case t.kind == tOp && strings.ContainsAny(t.op, "<>"):
			p.i++
			if p.peek().kind != tWord {
				return nil, fmt.Errorf("syntax error: %s needs a target, near %s", t.op, p.describe())
			}
			r := redir{fd: t.fd, op: t.op, target: p.peek().w}
			if r.fd < 0 {
				r.fd = 1
				if t.op[0] == '<' {
					r.fd = 0
				}
			}
			c.redirs = append(c.redirs, r)
			p.i++
		default:
			if len(c.args) == 0 && len(c.assigns) == 0 && len(c.redirs) == 0 {
				return nil, fmt.Errorf("syntax error near %s", p.describe())
			}
			return c, nil
		}
	}
}

// describe names the current token for an error message.
func (p *parser) describe() string {
	t := p.peek()
	switch t.kind {
	case tEnd:
		return "end of input"
	case tOp:
		if t.op == "\n" {
			return "newline"
		}
		return "'" + t.op + "'"
	}
	return "a word"
}

// assignment splits a word NAME=value whose NAME is unquoted and valid.
func assignment(w word) (string, word, bool) {
	if len(w) == 0 || w[0].quoted || w[0].param != "" {
		return "", nil, false
	}
	eq := strings.IndexByte(w[0].lit, '=')
	if eq <= 0 {
		return "", nil, false
	}
	name := w[0].lit[:eq]
	if got, n := paramName(name); n != len(name) || got != name || !(name[0] == '_' || isAlpha(name[0])) {
		return "", nil, false
	}
	val := word{}
	if rest := w[0].lit[eq+1:]; rest != "" {
		val = append(val, part{lit: rest})
	}
	return name, append(val, w[1:]...), true
}
