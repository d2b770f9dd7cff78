package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"scone/bench/internal/workload"
)

// printTable prints one line per row with each stack's median and, when two
// stacks ran, the ratio of the first to the second oriented so that a ratio
// above 1 favours the first (ours/gVisor for rates, gVisor/ours for costs).
func printTable(w io.Writer, chosen []workload.Stack, ms []measurement,
	results map[string]map[string][]workload.Result, failures map[string]map[string]error) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"row"}
	for _, s := range chosen {
		head = append(head, s.Name)
	}
	if len(chosen) == 2 {
		head = append(head, "ratio")
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	var notes []string
	for _, r := range rows {
		if !slices.ContainsFunc(ms, func(m measurement) bool { return m.name == r.from }) {
			continue
		}
		cells := []string{r.title}
		var vals []float64
		for _, s := range chosen {
			rs := results[s.Name][r.from]
			if len(rs) == 0 {
				cells = append(cells, "failed")
				vals = append(vals, math.NaN())
				if err := failures[s.Name][r.from]; err != nil {
					note := fmt.Sprintf("%s %s: %v", s.Name, r.from, err)
					if !slices.Contains(notes, note) {
						notes = append(notes, note)
					}
				}
				continue
			}
			if r.total {
				v := 0.0
				for _, x := range rs {
					v += r.value(x)
				}
				vals = append(vals, v)
				cells = append(cells, fmt.Sprintf("%.0f", v))
				continue
			}
			v, spread := median(rs, r.value)
			vals = append(vals, v)
			cells = append(cells, fmt.Sprintf("%s ±%.0f%%", format(v), spread))
		}
		if len(vals) == 2 && r.total {
			cells = append(cells, "")
		} else if len(vals) == 2 {
			ratio := vals[0] / vals[1]
			if r.lowerBetter {
				ratio = vals[1] / vals[0]
			}
			if math.IsNaN(ratio) || math.IsInf(ratio, 0) {
				cells = append(cells, "-")
			} else {
				cells = append(cells, format(ratio))
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	tw.Flush()
	for _, s := range chosen {
		for _, m := range ms {
			n := len(results[s.Name][m.name])
			if err := failures[s.Name][m.name]; err != nil && n > 0 {
				notes = append(notes, fmt.Sprintf("%s %s: only %d reps succeeded; last error: %v", s.Name, m.name, n, err))
			}
		}
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, "note:", n)
		}
	}
}

// median returns the median of value over rs, and the spread of the
// values: half their range as a percentage of the median.
func median(rs []workload.Result, value func(workload.Result) float64) (med, spread float64) {
	vs := make([]float64, len(rs))
	for i, r := range rs {
		vs[i] = value(r)
	}
	slices.Sort(vs)
	n := len(vs)
	if n%2 == 1 {
		med = vs[n/2]
	} else {
		med = (vs[n/2-1] + vs[n/2]) / 2
	}
	if med != 0 {
		spread = (vs[n-1] - vs[0]) / 2 / math.Abs(med) * 100
	}
	return med, spread
}

// format prints v with precision that suits its size; tiny costs keep two
// significant digits rather than rounding to zero.
func format(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v >= 1 || v == 0:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.2g", v)
	}
}
