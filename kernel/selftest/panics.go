package selftest

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
)

// nilPtr is a nil pointer the compiler cannot see through.
var nilPtr *[1 << 10]int

// testNilDeref dereferences nil: the CPU faults on page 0, the machine
// layer delivers SIGSEGV, and the runtime turns it into a panic that
// recover catches.
func testNilDeref() error {
	return expectPanic("nil pointer dereference", func() {
		_ = nilPtr[100]
	})
}

// testPanics recovers the panics the compiler raises itself (no fault):
// an index out of range and an integer division by zero.
func testPanics() error {
	s := []int{1, 2, 3}
	i, zero := 5, 0
	if err := expectPanic("index out of range", func() { _ = s[i] }); err != nil {
		return err
	}
	return expectPanic("integer divide by zero", func() { _ = i / zero })
}

// expectPanic runs f and checks that it panics with a runtime error whose
// message contains want.
func expectPanic(want string, f func()) (err error) {
	defer func() {
		r := recover()
		var re runtime.Error
		e, _ := r.(error)
		switch {
		case r == nil:
			err = fmt.Errorf("no panic, want %q", want)
		case !errors.As(e, &re):
			err = fmt.Errorf("panic %v is not a runtime.Error", r)
		case !strings.Contains(re.Error(), want):
			err = fmt.Errorf("panic %q, want %q", re.Error(), want)
		}
	}()
	f()
	return nil
}
