package main

import (
	"sort"
	"strings"
)

// forbidden are the runtime entry points kernel-context code must never
// reach: the allocator, stack growth, the write barrier, and Go locks
// (which may park the calling goroutine). Each is a prefix.
var forbidden = []string{
	"runtime.mallocgc",
	"runtime.newobject",
	"runtime.newarray",
	"runtime.makeslice",
	"runtime.growslice",
	"runtime.makemap",
	"runtime.mapassign",
	"runtime.convT",
	"runtime.concatstring",
	"runtime.slicebytetostring",
	"runtime.rawstring",
	"runtime.morestack",
	"runtime.newstack",
	"runtime.gcWriteBarrier",
	"runtime.wbBufFlush",
	"runtime.bulkBarrierPreWrite",
	"runtime.lock2",
	"runtime.gopark",
}

// terminal are functions that only run when kernel-context code has a
// bug the hardware or the compiler caught (a bounds check, a nil check, a
// throw); they end the kernel with a message, so the walk does not follow
// them. Each is a prefix.
var terminal = []string{
	"runtime.panic",   // panicIndex, panicdivide, panicmem, ...
	"runtime.goPanic", // the Go half of the bounds-check panics
	"runtime.throw",
	"runtime.fatal",
	"runtime.abort",
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// A Violation is a call path from a kernel-context root to a forbidden
// function.
type Violation struct {
	Path []string // root first, the forbidden function last
}

func (v Violation) String() string { return strings.Join(v.Path, " -> ") }

// Report is the result of checking a set of roots.
type Report struct {
	Violations []Violation
	Missing    []string // roots not in the binary (inlined everywhere, or dead)
	Indirect   []string // reachable functions with indirect calls, unchecked
	Checked    int      // functions reached from the roots
}

// Check walks the call graph breadth-first from roots and reports, for
// each root, the shortest path to every forbidden function it reaches.
func Check(g *Graph, roots []string) Report {
	var r Report
	seen := map[string]bool{}
	for _, root := range roots {
		if _, ok := g.Calls[root]; !ok {
			r.Missing = append(r.Missing, root)
			continue
		}
		parent := map[string]string{root: ""}
		queue := []string{root}
		for len(queue) > 0 {
			fn := queue[0]
			queue = queue[1:]
			if !seen[fn] {
				seen[fn] = true
				if g.Indirect[fn] {
					r.Indirect = append(r.Indirect, fn)
				}
			}
			for _, callee := range g.Calls[fn] {
				if _, ok := parent[callee]; ok {
					continue
				}
				parent[callee] = fn
				switch {
				case hasPrefix(callee, forbidden):
					r.Violations = append(r.Violations, Violation{pathTo(parent, callee)})
				case hasPrefix(callee, terminal):
				default:
					queue = append(queue, callee)
				}
			}
		}
	}
	r.Checked = len(seen)
	sort.Strings(r.Indirect)
	return r
}

// pathTo follows parent links from fn back to its root.
func pathTo(parent map[string]string, fn string) []string {
	var p []string
	for ; fn != ""; fn = parent[fn] {
		p = append(p, fn)
	}
	for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
		p[i], p[j] = p[j], p[i]
	}
	return p
}
