package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestCatchesBadFunctions builds testdata/bad and checks that exactly its
// rule-breaking functions are reported, each with the forbidden call.
func TestCatchesBadFunctions(t *testing.T) {
	elfPath := filepath.Join(t.TempDir(), "bad.elf")
	cmd := exec.Command(goTool(), "build", "-o", elfPath, "./testdata/bad")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building testdata/bad: %v\n%s", err, out)
	}
	roots, err := Roots("scone/tools/kcheck/testdata/bad", "testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(roots)
	wantRoots := []string{"main.allocates", "main.appends", "main.arith", "main.asmCallsSplittable",
		"main.callsSplittable", "main.chain", "main.sends", "main.storesPointer"}
	if strings.Join(roots, " ") != strings.Join(wantRoots, " ") {
		t.Fatalf("roots = %v, want %v", roots, wantRoots)
	}
	g, err := LoadGraph(elfPath)
	if err != nil {
		t.Fatal(err)
	}
	r := Check(g, roots)
	got := map[string][]string{} // root -> forbidden functions reached
	for _, v := range r.Violations {
		got[v.Path[0]] = append(got[v.Path[0]], v.Path[len(v.Path)-1])
	}
	// Each bad root must reach (at least) its own forbidden function.
	want := map[string][]string{
		"main.allocates":          {"runtime.newobject"},
		"main.appends":            {"runtime.growslice"},
		"main.storesPointer":      {"runtime.gcWriteBarrier"},
		"main.sends":              {"runtime.lock2", "runtime.gopark"},
		"main.callsSplittable":    {"runtime.morestack"},
		"main.asmCallsSplittable": {"runtime.morestack"},
	}
	for root, fns := range want {
		for _, fn := range fns {
			if !slices.ContainsFunc(got[root], func(s string) bool { return strings.HasPrefix(s, fn) }) {
				t.Errorf("%s: reached %q, want %s...", root, got[root], fn)
			}
		}
	}
	for root := range got {
		if _, ok := want[root]; !ok {
			t.Errorf("%s reported, but it keeps the rules: %v", root, r.Violations)
		}
	}
	if len(r.Missing) != 0 {
		t.Errorf("missing roots: %v", r.Missing)
	}
}

func TestParseObjdump(t *testing.T) {
	listing := `TEXT main.a(SB) /x/main.go
  main.go:3		0x401000		e800000000		CALL main.b(SB)
  main.go:4		0x401005		ffd0			CALL AX
  main.go:5		0x401007		eb00			JMP 0x401009
  main.go:5		0x401009		e900000000		JMP main.c.abi0(SB)
  main.go:6		0x40100e		e900000000		JMP main.a(SB)

TEXT main.b(SB) /x/main.go
  main.go:9		0x402000		ff5210			CALL 0x10(DX)

TEXT main.c.abi0(SB) /x/c.s
  c.s:2		0x403000		e800000000		CALL runtime.morestack_noctxt.abi0(SB)
`
	g, err := parseObjdump(strings.NewReader(listing))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(g.Calls["main.a"], " "); got != "main.b main.c" {
		t.Errorf("calls of main.a = %q", got)
	}
	if !g.Indirect["main.a"] || !g.Indirect["main.b"] || g.Indirect["main.c"] {
		t.Errorf("indirect = %v", g.Indirect)
	}
	r := Check(g, []string{"main.a", "main.gone"})
	if len(r.Violations) != 1 || r.Violations[0].String() != "main.a -> main.c -> runtime.morestack_noctxt" {
		t.Errorf("violations = %v", r.Violations)
	}
	if len(r.Missing) != 1 || r.Missing[0] != "main.gone" {
		t.Errorf("missing = %v", r.Missing)
	}
}

func TestTerminalNotFollowed(t *testing.T) {
	g := &Graph{Calls: map[string][]string{
		"k.trap":             {"runtime.panicIndex"},
		"runtime.panicIndex": {"runtime.goPanicIndex"},
	}, Indirect: map[string]bool{}}
	if r := Check(g, []string{"k.trap"}); len(r.Violations) != 0 {
		t.Errorf("the bounds-check panic path was followed: %v", r.Violations)
	}
}
