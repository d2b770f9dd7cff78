package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// eachInput calls fn with each named file open ("-" or none: standard
// input), reporting files that cannot be opened; it returns 1 if any
// could not.
func eachInput(names []string, fn func(name string, r io.Reader, f *os.File) error) int {
	if len(names) == 0 {
		names = []string{"-"}
	}
	status := 0
	for _, n := range names {
		f := os.Stdin
		if n != "-" {
			var err error
			if f, err = os.Open(n); err != nil {
				if prog == "head" || prog == "tail" {
					warn("cannot open '%s' for reading: %s", n, errText(err))
				} else {
					warn("%s: %s", n, errText(err))
				}
				status = 1
				continue
			}
		}
		if err := fn(n, f, f); err != nil {
			warn("%s: %s", n, errText(err))
			status = 1
		}
		if f != os.Stdin {
			f.Close()
		}
	}
	return status
}

func cat(args []string) int {
	_, names, err := flags(args, "u", "")
	if err != nil {
		return usage(err, "[FILE...]")
	}
	return eachInput(names, func(_ string, r io.Reader, _ *os.File) error {
		_, err := io.Copy(os.Stdout, r)
		return err
	})
}

// echo is GNU echo: -n drops the newline, -e interprets backslash escapes.
func echo(args []string) int {
	newline, escapes := true, false
	for len(args) > 0 && len(args[0]) > 1 && strings.Trim(args[0], "-neE") == "" && args[0][0] == '-' {
		newline = newline && !strings.Contains(args[0], "n")
		if strings.ContainsAny(args[0], "eE") {
			escapes = strings.LastIndexByte(args[0], 'e') > strings.LastIndexByte(args[0], 'E')
		}
		args = args[1:]
	}
	s := strings.Join(args, " ")
	if escapes {
		var stop bool
		s, stop = unescape(s)
		newline = newline && !stop
	}
	if newline {
		s += "\n"
	}
	os.Stdout.WriteString(s)
	return 0
}

// unescape interprets echo -e's escapes; \c stops the output.
func unescape(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch c := s[i]; c {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case 'e':
			b.WriteByte(0x1b)
		case '\\':
			b.WriteByte('\\')
		case 'c':
			return b.String(), true
		case '0':
			n, j := 0, i+1
			for ; j < len(s) && j < i+4 && s[j] >= '0' && s[j] <= '7'; j++ {
				n = n*8 + int(s[j]-'0')
			}
			b.WriteByte(byte(n))
			i = j - 1
		default:
			b.WriteByte('\\')
			b.WriteByte(c)
		}
	}
	return b.String(), false
}

// wc counts lines, words and bytes, in GNU wc's layout: columns as wide
// as the total size of the regular files named (7 for other inputs), or
// unpadded for one count of one input.
func wc(args []string) int {
	opts, names, err := flags(args, "lwc", "")
	if err != nil {
		return usage(err, "[-lwc] [FILE...]")
	}
	show := []bool{has(opts, 'l'), has(opts, 'w'), has(opts, 'c')}
	if !show[0] && !show[1] && !show[2] {
		show = []bool{true, true, true}
	}
	type row struct {
		n    [3]int64
		name string
	}
	var rows []row
	var total row
	width, size := 1, int64(0)
	status := eachInput(names, func(name string, r io.Reader, f *os.File) error {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			size += st.Size()
		} else {
			width = 7
		}
		var c [3]int64
		inWord := false
		br := bufio.NewReaderSize(r, 64<<10)
		for {
			b, err := br.ReadByte()
			if err == io.EOF {
				break
			} else if err != nil {
				return err
			}
			c[2]++
			if b == '\n' {
				c[0]++
			}
			space := b == ' ' || b >= '\t' && b <= '\r'
			if !space && !inWord {
				c[1]++
			}
			inWord = !space
		}
		if name == "-" && len(names) == 0 {
			name = ""
		}
		rows = append(rows, row{c, name})
		for i := range c {
			total.n[i] += c[i]
		}
		return nil
	})
	if len(rows) > 1 {
		total.name = "total"
		rows = append(rows, total)
	}
	width = max(width, len(strconv.FormatInt(size, 10)))
	cols := 0
	for _, s := range show {
		if s {
			cols++
		}
	}
	if cols == 1 && len(rows) == 1 {
		width = 1
	}
	for _, r := range rows {
		var fs []string
		for i, s := range show {
			if s {
				fs = append(fs, fmt.Sprintf("%*d", width, r.n[i]))
			}
		}
		if r.name != "" {
			fs = append(fs, r.name)
		}
		fmt.Println(strings.Join(fs, " "))
	}
	return status
}

// count parses head's and tail's command line: -n N, or for tail -n +N
// (from line N on), 10 by default; then the files.
func count(args []string) (n int, fromStart bool, names []string, err error) {
	opts, names, err := flags(args, "", "n")
	if err != nil {
		return 0, false, nil, err
	}
	s, ok := opts['n']
	if !ok {
		return 10, false, names, nil
	}
	fromStart = strings.HasPrefix(s, "+")
	n, err = strconv.Atoi(strings.TrimPrefix(s, "+"))
	if err != nil || n < 0 {
		return 0, false, nil, fmt.Errorf("invalid number of lines: '%s'", s)
	}
	return n, fromStart, names, nil
}

// heading prints "==> name <==" between files when there are several.
func heading(names []string) func(name string) {
	first := true
	return func(name string) {
		if len(names) < 2 {
			return
		}
		if !first {
			fmt.Println()
		}
		first = false
		if name == "-" {
			name = "standard input"
		}
		fmt.Printf("==> %s <==\n", name)
	}
}

func head(args []string) int {
	n, _, names, err := count(args)
	if err != nil {
		return usage(err, "[-n N] [FILE...]")
	}
	head := heading(names)
	return eachInput(names, func(name string, r io.Reader, _ *os.File) error {
		head(name)
		br := bufio.NewReader(r)
		w := bufio.NewWriter(os.Stdout)
		defer w.Flush()
		for i := 0; i < n; i++ {
			line, err := br.ReadString('\n')
			w.WriteString(line)
			if err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
		}
		return nil
	})
}

func tail(args []string) int {
	n, fromStart, names, err := count(args)
	if err != nil {
		return usage(err, "[-n [+]N] [FILE...]")
	}
	head := heading(names)
	return eachInput(names, func(name string, r io.Reader, _ *os.File) error {
		head(name)
		br := bufio.NewReader(r)
		var ring []string // the last n lines
		for lineNo := 1; ; lineNo++ {
			line, err := br.ReadString('\n')
			if line != "" {
				switch {
				case fromStart && lineNo >= n:
					os.Stdout.WriteString(line)
				case !fromStart && n > 0:
					if len(ring) == n {
						ring = ring[1:]
					}
					ring = append(ring, line)
				}
			}
			if err == io.EOF {
				break
			} else if err != nil {
				return err
			}
		}
		os.Stdout.WriteString(strings.Join(ring, ""))
		return nil
	})
}

// grep searches for a regular expression: basic (the default), extended
// (-E) or a fixed string (-F); -i ignores case, -v inverts, -n numbers
// lines, -c counts, -l lists files, -q is quiet.  Status 0 if a line
// was selected, 1 if none, 2 on error.
func grep(args []string) int {
	opts, rest, err := flags(args, "EFivnclqsh", "e")
	if err == nil && !has(opts, 'e') && len(rest) == 0 {
		err = fmt.Errorf("no pattern")
	}
	if err != nil {
		return usage(err, "[-EFivnclqh] PATTERN [FILE...]")
	}
	pat, ok := opts['e']
	if !ok {
		pat, rest = rest[0], rest[1:]
	}
	switch {
	case has(opts, 'F'):
		pat = regexp.QuoteMeta(pat)
	case !has(opts, 'E'):
		pat = breToERE(pat)
	}
	if has(opts, 'i') {
		pat = "(?i)" + pat
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		warn("bad pattern: %v", err)
		return 2
	}
	prefix := len(rest) > 1 && !has(opts, 'h')
	found := false
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	status := eachInput(rest, func(name string, r io.Reader, _ *os.File) error {
		if name == "-" {
			name = "(standard input)"
		}
		br := bufio.NewReader(r)
		matches := 0
		for lineNo := 1; ; lineNo++ {
			line, err := br.ReadString('\n')
			if line != "" && re.MatchString(strings.TrimSuffix(line, "\n")) != has(opts, 'v') {
				matches++
				found = true
				if has(opts, 'q') {
					return nil
				}
				if !has(opts, 'c') && !has(opts, 'l') {
					if prefix {
						w.WriteString(name + ":")
					}
					if has(opts, 'n') {
						fmt.Fprintf(w, "%d:", lineNo)
					}
					w.WriteString(strings.TrimSuffix(line, "\n") + "\n")
				}
			}
			if err == io.EOF {
				break
			} else if err != nil {
				return err
			}
		}
		switch {
		case has(opts, 'l') && matches > 0:
			fmt.Fprintln(w, name)
		case has(opts, 'c') && prefix:
			fmt.Fprintf(w, "%s:%d\n", name, matches)
		case has(opts, 'c'):
			fmt.Fprintln(w, matches)
		}
		return nil
	})
	if status != 0 && !has(opts, 's') {
		return 2
	}
	if !found {
		return 1
	}
	return 0
}

// breToERE turns a POSIX basic regular expression into the extended
// syntax Go's regexp reads: in a BRE, + ? | ( ) { } are literal and
// their escaped forms are the operators.
func breToERE(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && strings.IndexByte("+?|(){}", s[i+1]) >= 0:
			b.WriteByte(s[i+1])
			i++
		case c == '\\' && i+1 < len(s):
			b.WriteByte(c)
			b.WriteByte(s[i+1])
			i++
		case strings.IndexByte("+?|(){}", c) >= 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '*' && (i == 0 || s[i-1] == '^' && i == 1):
			b.WriteString(`\*`) // a leading * is literal in a BRE
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// hexdump prints files as hexdump(1) does: by default 16-bit little-endian
// words in hex; with -C the canonical hex+ASCII form.  Repeated lines
// collapse to "*" unless -v.
func hexdump(args []string) int {
	opts, names, err := flags(args, "Cv", "")
	if err != nil {
		return usage(err, "[-Cv] [FILE...]")
	}
	var all []io.Reader
	status := eachInput(names, func(_ string, r io.Reader, _ *os.File) error {
		b, err := io.ReadAll(r)
		all = append(all, bytes.NewReader(b))
		return err
	})
	r := bufio.NewReader(io.MultiReader(all...))
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	var prev []byte
	starred := false
	off := 0
	for {
		line := make([]byte, 16)
		n, _ := io.ReadFull(r, line)
		if n == 0 {
			break
		}
		line = line[:n]
		if !has(opts, 'v') && n == 16 && bytes.Equal(line, prev) {
			if !starred {
				w.WriteString("*\n")
				starred = true
			}
			off += n
			continue
		}
		starred = false
		prev = line
		if has(opts, 'C') {
			fmt.Fprintf(w, "%08x ", off)
			for i := 0; i < 16; i++ {
				if i == 8 {
					w.WriteByte(' ')
				}
				if i < n {
					fmt.Fprintf(w, " %02x", line[i])
				} else {
					w.WriteString("   ")
				}
			}
			w.WriteString("  |")
			for _, c := range line {
				if c < 0x20 || c > 0x7e {
					c = '.'
				}
				w.WriteByte(c)
			}
			w.WriteString("|\n")
		} else {
			// hexdump pads a short last line to the full width.
			var words strings.Builder
			for i := 0; i < n; i += 2 {
				v := int(line[i])
				if i+1 < n {
					v |= int(line[i+1]) << 8
				}
				fmt.Fprintf(&words, " %04x", v)
			}
			fmt.Fprintf(w, "%07x%-40s\n", off, words.String())
		}
		off += n
	}
	if off > 0 {
		if has(opts, 'C') {
			fmt.Fprintf(w, "%08x\n", off)
		} else {
			fmt.Fprintf(w, "%07x\n", off)
		}
	}
	return status
}
