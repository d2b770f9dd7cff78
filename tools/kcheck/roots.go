package main

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Roots returns the symbols of the functions in the package at dir (import
// path pkg) that are kernel context: every Go function marked
// //go:nosplit and every assembly function whose TEXT line says NOSPLIT.
// Files are chosen as the kernel build chooses them (linux/amd64).
//
// This is the contract with the machine layer: code that runs under the Go
// scheduler (trap and syscall handlers, the thread switch) is marked
// nosplit, and then kcheck proves it never reaches the allocator, stack
// growth or a write barrier. A nosplit function that runs on an ordinary
// goroutine is held to the same rule, which costs nothing: nosplit code
// that allocates is a bug wherever it runs.
func Roots(pkg, dir string) ([]string, error) {
	ctx := build.Default
	ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = "linux", "amd64", false
	bp, err := ctx.ImportDir(dir, 0)
	if err != nil {
		return nil, fmt.Errorf("kcheck: %s: %w", dir, err)
	}
	symPkg := pkg
	if bp.Name == "main" {
		symPkg = "main" // the linker names package main's symbols main.*
	}
	var roots []string
	fset := token.NewFileSet()
	for _, name := range bp.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("kcheck: %w", err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if ok && fd.Body != nil && hasDirective(fd.Doc, "//go:nosplit") {
				roots = append(roots, symPkg+"."+funcSym(fd))
			}
		}
	}
	for _, name := range bp.SFiles {
		src, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		for _, m := range asmText.FindAllStringSubmatch(string(src), -1) {
			if strings.Contains(m[2], "NOSPLIT") {
				roots = append(roots, symPkg+"."+m[1])
			}
		}
	}
	return roots, nil
}

// asmText matches a Go assembly function header: TEXT ·name(SB), flags, ...
var asmText = regexp.MustCompile(`(?m)^TEXT\s+·(\w+)(?:<\w+>)?\(SB\)\s*,\s*([^,\n]*)`)

func hasDirective(doc *ast.CommentGroup, directive string) bool {
	if doc == nil {
		return false
	}
	for _, c := range doc.List {
		if strings.TrimSpace(c.Text) == directive {
			return true
		}
	}
	return false
}

// funcSym is the linker's name for fd within its package: name, T.name
// or (*T).name.
func funcSym(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	star := false
	if s, ok := t.(*ast.StarExpr); ok {
		star, t = true, s.X
	}
	// Generic receivers (T[P]) get instantiated names; they are not
	// expected in kernel-context code and are named by the bare type.
	switch x := t.(type) {
	case *ast.IndexExpr:
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	name := fmt.Sprint(t)
	if star {
		return "(*" + name + ")." + fd.Name.Name
	}
	return name + "." + fd.Name.Name
}
