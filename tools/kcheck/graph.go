package main

import (
	"bufio"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
)

// A Graph maps each function in a binary to the functions it calls
// directly (CALL, or a JMP to another function: a tail call), in order of
// appearance, and records which functions make indirect calls.
type Graph struct {
	Calls    map[string][]string
	Indirect map[string]bool
}

// LoadGraph disassembles the amd64 ELF at path with `go tool objdump`.
func LoadGraph(path string) (*Graph, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("kcheck: %w", err)
	}
	machine := f.Machine
	f.Close()
	if machine != elf.EM_X86_64 {
		return nil, fmt.Errorf("kcheck: %s is %v, want an x86-64 ELF", path, machine)
	}
	cmd := exec.Command(goTool(), "tool", "objdump", path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("kcheck: go tool objdump: %w", err)
	}
	g, perr := parseObjdump(out)
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("kcheck: go tool objdump: %w", err)
	}
	return g, perr
}

// goTool finds the go command of the toolchain running the check.
func goTool() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

var (
	// TEXT pkg.fn(SB) file
	textLine = regexp.MustCompile(`^TEXT (\S+)\(SB\)`)
	// CALL pkg.fn(SB) or JMP pkg.fn(SB), at the end of a disassembly line.
	callLine = regexp.MustCompile(`\t(CALL|JMP) (\S+)\(SB\)\s*$`)
	// CALL AX, CALL 0x10(DX), JMP R8: a call or jump through a register
	// or memory (a local jump's operand is a plain address).
	indirectLine = regexp.MustCompile(`\t(CALL|JMP) ([A-Z][A-Z0-9]*|[^\t]*\([A-Z][A-Z0-9]*\)[^\t]*?)\s*$`)
)

// parseObjdump reads objdump's listing into a Graph.
func parseObjdump(r io.Reader) (*Graph, error) {
	g := &Graph{Calls: map[string][]string{}, Indirect: map[string]bool{}}
	cur := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := textLine.FindStringSubmatch(line); m != nil {
			cur = symName(m[1])
			if _, ok := g.Calls[cur]; !ok {
				g.Calls[cur] = nil
			}
			continue
		}
		if cur == "" {
			continue
		}
		if m := callLine.FindStringSubmatch(line); m != nil {
			if callee := symName(m[2]); callee != cur {
				g.Calls[cur] = append(g.Calls[cur], callee)
			}
		} else if indirectLine.MatchString(line) && !strings.Contains(line, "(SB)") {
			g.Indirect[cur] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(g.Calls) == 0 {
		return nil, fmt.Errorf("kcheck: objdump listed no functions")
	}
	return g, nil
}

// symName drops the ABI suffix that assembly functions carry, so that Go
// and assembly callers of one function agree on its name.
func symName(s string) string {
	s = strings.TrimSuffix(s, ".abi0")
	return strings.TrimSuffix(s, ".abiinternal")
}
