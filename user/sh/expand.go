package main

import (
	"path/filepath"
	"strconv"
	"strings"
)

// expand turns words into fields: parameters are substituted, unquoted
// substitutions split on blanks, and an unquoted *, ? or [ makes the field
// a file-name pattern, replaced by the sorted matches if there are any.  A
// word that expands to nothing unquoted yields no field.
func (sh *shell) expand(words []word) []string {
	var out []string
	for _, w := range words {
		out = append(out, sh.fields(w)...)
	}
	return out
}

// field is one field being built: its text and the same text as a glob
// pattern (quoted parts escaped).
type field struct {
	text, pattern strings.Builder
	glob, present bool
}

func (sh *shell) fields(w word) []string {
	var fs []*field
	cur := &field{}
	add := func(s string, quoted bool) {
		cur.present = true
		cur.text.WriteString(s)
		if quoted {
			for _, r := range s {
				if strings.ContainsRune(`*?[\`, r) {
					cur.pattern.WriteByte('\\')
				}
				cur.pattern.WriteRune(r)
			}
		} else {
			cur.pattern.WriteString(s)
			if strings.ContainsAny(s, "*?[") {
				cur.glob = true
			}
		}
	}
	for _, p := range w {
		switch {
		case p.param == "":
			add(p.lit, p.quoted)
			if p.quoted {
				cur.present = true
			}
		case p.quoted && p.param == "@":
			// "$@" is one field per argument.
			for i, a := range sh.args {
				if i > 0 {
					fs = append(fs, cur)
					cur = &field{}
				}
				add(a, true)
			}
		case p.quoted:
			add(sh.param(p.param), true)
			cur.present = true
		default:
			// Unquoted: split on blanks and newlines.
			v := sh.param(p.param)
			parts := strings.Fields(v)
			if len(parts) > 0 && strings.IndexAny(v[:1], " \t\n") == 0 && cur.present {
				fs = append(fs, cur)
				cur = &field{}
			}
			for i, s := range parts {
				if i > 0 {
					fs = append(fs, cur)
					cur = &field{}
				}
				// Substituted text is never a pattern here (unlike POSIX).
				add(s, true)
			}
			if len(parts) > 0 && strings.IndexAny(v[len(v)-1:], " \t\n") == 0 {
				fs = append(fs, cur)
				cur = &field{}
			}
		}
	}
	fs = append(fs, cur)
	var out []string
	for _, f := range fs {
		if !f.present {
			continue
		}
		if f.glob {
			if m, err := filepath.Glob(f.pattern.String()); err == nil && len(m) > 0 {
				out = append(out, m...)
				continue
			}
		}
		out = append(out, f.text.String())
	}
	return out
}

// word1 expands w to a single string (redirection targets, assignments),
// joining fields with spaces.
func (sh *shell) word1(w word) string {
	return strings.Join(sh.fields(w), " ")
}

// param is the value of a parameter: a variable, or a special one.
func (sh *shell) param(name string) string {
	switch name {
	case "?":
		return strconv.Itoa(sh.status)
	case "$":
		return strconv.Itoa(sh.pid)
	case "!":
		if sh.lastBg == 0 {
			return ""
		}
		return strconv.Itoa(sh.lastBg)
	case "#":
		return strconv.Itoa(len(sh.args))
	case "@", "*":
		return strings.Join(sh.args, " ")
	case "0":
		return sh.name
	}
	if n, err := strconv.Atoi(name); err == nil {
		if n <= len(sh.args) {
			return sh.args[n-1]
		}
		return ""
	}
	return sh.vars[name]
}
