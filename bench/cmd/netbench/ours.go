package main

import (
	"errors"

	"scone/bench/internal/workload"
)

// oursStack is Scone's entry. Its Pair is not wired in yet: the stack's
// link, stack and socket packages are still being written.
var oursStack = workload.Stack{Name: "ours", NewPair: func() (workload.Pair, error) {
	return nil, errors.New("Scone's stack is not wired into the benchmark yet")
}}
