// Command kcheck enforces the kernel-context discipline on a built kernel:
// no function that runs under the Go scheduler may reach the allocator,
// stack growth, a write barrier or a Go lock. Such code runs on trap
// stacks, with the scheduler's own state half-updated; an allocation there
// deadlocks or corrupts the heap, and a stack-growth check overflows a
// fixed stack. The compiler cannot see this, so kcheck reads the binary.
//
//	kcheck [-pkg scone/kernel/machine] [-dir kernel/machine] build/kernel.elf
//
// The functions checked are those the source marks nosplit (see Roots);
// every function they reach through direct calls is checked too, except
// the panic and throw paths (see terminal). Indirect calls cannot be
// followed and are listed. The exit status is 1 when a violation is found.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	pkg := flag.String("pkg", "scone/kernel/machine", "import path of the kernel-context package")
	dir := flag.String("dir", "kernel/machine", "source directory of that package")
	verbose := flag.Bool("v", false, "list the roots checked")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: kcheck [-pkg path] [-dir dir] kernel.elf")
		os.Exit(2)
	}
	roots, err := Roots(*pkg, *dir)
	if err != nil {
		fatal(err)
	}
	if len(roots) == 0 {
		fatal(fmt.Errorf("kcheck: no nosplit functions in %s: nothing to check", *dir))
	}
	g, err := LoadGraph(flag.Arg(0))
	if err != nil {
		fatal(err)
	}
	r := Check(g, roots)
	if len(r.Missing) == len(roots) {
		fatal(fmt.Errorf("kcheck: none of the %d nosplit functions of %s is in %s: wrong -pkg, or the wrong binary?",
			len(roots), *pkg, flag.Arg(0)))
	}
	if *verbose {
		for _, root := range roots {
			fmt.Println("root", root)
		}
	}
	if *verbose {
		for _, m := range r.Missing {
			fmt.Printf("kcheck: note: %s is not in the binary (inlined into its callers, or unused)\n", m)
		}
	}
	for _, f := range r.Indirect {
		fmt.Printf("kcheck: note: %s makes indirect calls, which cannot be followed\n", f)
	}
	for _, v := range r.Violations {
		fmt.Printf("kcheck: FAIL %v\n", v)
	}
	fmt.Printf("kcheck: %d nosplit functions in the binary (%d more inlined or unused), %d functions reached, %d violations\n",
		len(roots)-len(r.Missing), len(r.Missing), r.Checked, len(r.Violations))
	if len(r.Violations) > 0 {
		os.Exit(1)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(2)
}
