package main

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// render prints a parsed list compactly: items separated by " ; " or
// " & ", commands by " | ", each argument in brackets after expansion
// against a fixed shell.
func render(l list) string {
	sh := newShell("sh", []string{"a b", "c"})
	sh.vars = map[string]string{"X": "x", "SP": " p  q ", "E": ""}
	sh.status = 3
	var b strings.Builder
	for _, it := range l {
		for i, pl := range it.ao.pipes {
			if i > 0 {
				b.WriteString(" " + it.ao.ops[i-1] + " ")
			}
			for k, c := range pl {
				if k > 0 {
					b.WriteString(" | ")
				}
				for _, a := range c.assigns {
					b.WriteString(a.name + "=" + sh.word1(a.value) + " ")
				}
				for _, f := range sh.expand(c.args) {
					b.WriteString("[" + f + "]")
				}
				for _, r := range c.redirs {
					b.WriteString(" " + string(rune('0'+r.fd)) + r.op + sh.word1(r.target))
				}
			}
		}
		if it.background {
			b.WriteString(" &")
		}
		b.WriteString(";")
	}
	return b.String()
}

func TestParse(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"echo hello", "[echo][hello];"},
		{"  echo   a\tb  ", "[echo][a][b];"},
		{"a | b | c", "[a] | [b] | [c];"},
		{"a && b || c", "[a] && [b] || [c];"},
		{"a; b & c", "[a];[b] &;[c];"},
		{"a &", "[a] &;"},
		{"a\n\nb\n", "[a];[b];"},
		{"a |\n b", "[a] | [b];"},
		{"cat <in >out", "[cat] 0<in 1>out;"},
		{"cmd >>log 2>&1", "[cmd] 1>>log 2>&1;"},
		{"cmd 2>err 0<&3", "[cmd] 2>err 0<&3;"},
		{"cmd>out", "[cmd] 1>out;"},
		{"echo 2>x", "[echo] 2>x;"},
		{"echo a2>x", "[echo][a2] 1>x;"},
		{"echo 'a  b' \"c  d\"", "[echo][a  b][c  d];"},
		{`echo a\ b \$X \\`, `[echo][a b][$X][\];`},
		{`echo "a\"b" "\$X" "\q"`, `[echo][a"b][$X][\q];`},
		{`echo 'it''s' "" ''`, "[echo][its][][];"},
		{"echo $X ${X}y \"$X\" '$X'", "[echo][x][xy][x][$X];"},
		{"echo $? $# $1 $2 $3", "[echo][3][2][a][b][c];"},
		{`echo "$1"`, "[echo][a b];"},
		{`echo "$@"`, "[echo][a b][c];"},
		{"echo $SP.", "[echo][p][q][.];"},
		{`echo "$SP"`, "[echo][ p  q ];"},
		{"echo $E $NONE x", "[echo][x];"},
		{`echo "$E"`, "[echo][];"},
		{"echo $ a$", "[echo][$][a$];"},
		{"echo a#b # comment", "[echo][a#b];"},
		{"X=1 Y=$X cmd a=b", "X=1 Y=x [cmd][a=b];"},
		{"X=1", "X=1 ;"},
		{"'X=1' cmd", "[X=1][cmd];"},
		{"echo a\\\nb", "[echo][ab];"},
		{"echo '*' \\*", "[echo][*][*];"},
		{"echo /nonexistent-dir/*", "[echo][/nonexistent-dir/*];"},
	} {
		l, err := parse(tc.in)
		if err != nil {
			t.Errorf("parse(%q): %v", tc.in, err)
			continue
		}
		if got := render(l); got != tc.want {
			t.Errorf("parse(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		in         string
		incomplete bool
	}{
		{"echo 'abc", true},
		{`echo "abc`, true},
		{"a |", true},
		{"a &&", true},
		{"a ||\n", true},
		{`echo \`, true},
		{"| a", false},
		{"a | | b", false},
		{"a ;; b", false},
		{"; a", false},
		{"a >", false},
		{"a > | b", false},
		{"& a", false},
		{"echo ${", false},
		{"echo ${1a}", false},
	} {
		_, err := parse(tc.in)
		if err == nil {
			t.Errorf("parse(%q) succeeded, want an error", tc.in)
			continue
		}
		if errors.Is(err, errIncomplete) != tc.incomplete {
			t.Errorf("parse(%q) = %v; incomplete should be %v", tc.in, err, tc.incomplete)
		}
	}
}

// TestText checks that a background list's source text, which the shell
// hands to a subshell, parses back to the same list.
func TestText(t *testing.T) {
	for _, in := range []string{
		`a 'b c' "$X" && d >out 2>&1 || e | f "it's"`,
		`X=1 cmd ${Y}z <in`,
	} {
		l, err := parse(in)
		if err != nil {
			t.Fatal(err)
		}
		l2, err := parse(l[0].ao.text())
		if err != nil {
			t.Fatalf("reparse %q: %v", l[0].ao.text(), err)
		}
		if !reflect.DeepEqual(render(l), render(l2)) {
			t.Errorf("%q -> %q: %s != %s", in, l[0].ao.text(), render(l), render(l2))
		}
	}
}
