package main

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// pairs reads the measurements scripts/abbench takes, one per line:
//
//	ROW SIDE WALL_S CPU_S
//
// with SIDE base or new, the i-th base and the i-th new measurement of a
// row making its i-th pair, and prints a markdown table: each side's
// medians, and the median and quartiles of the pairs' ratios new/base. On
// a shared machine the speed drifts by a fifth within minutes; the two
// sides of a pair were taken back to back, so their ratio is the figure
// that drift moves least. Rows named instr:N hold instruction counts
// (valgrind's, in both columns) instead of times.
func pairs(in io.Reader, out io.Writer) error {
	type side struct{ wall, cpu []float64 }
	type row struct{ base, new side }
	rows := map[string]*row{}
	var order []string
	sc := bufio.NewScanner(in)
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 4 {
			return fmt.Errorf("line %d: want ROW SIDE WALL CPU, got %q", line, sc.Text())
		}
		wall, err1 := strconv.ParseFloat(f[2], 64)
		cpu, err2 := strconv.ParseFloat(f[3], 64)
		if err1 != nil || err2 != nil || wall <= 0 || cpu <= 0 {
			return fmt.Errorf("line %d: wall and CPU must be positive numbers: %q", line, sc.Text())
		}
		r := rows[f[0]]
		if r == nil {
			r = &row{}
			rows[f[0]] = r
			order = append(order, f[0])
		}
		var s *side
		switch f[1] {
		case "base":
			s = &r.base
		case "new":
			s = &r.new
		default:
			return fmt.Errorf("line %d: side must be base or new, got %q", line, f[1])
		}
		s.wall = append(s.wall, wall)
		s.cpu = append(s.cpu, cpu)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	fmt.Fprintln(out, "| measurement | pairs | base: wall, CPU | new: wall, CPU | wall new/base: median (quartiles) | CPU new/base: median | new faster in |")
	fmt.Fprintln(out, "|---|---:|---:|---:|---:|---:|---:|")
	for _, name := range order {
		r := rows[name]
		n := min(len(r.base.wall), len(r.new.wall))
		if n == 0 {
			continue
		}
		var wr, cr []float64
		faster := 0
		for i := range n {
			wr = append(wr, r.new.wall[i]/r.base.wall[i])
			cr = append(cr, r.new.cpu[i]/r.base.cpu[i])
			if r.new.wall[i] < r.base.wall[i] {
				faster++
			}
		}
		if strings.HasPrefix(name, "instr:") { // instructions, not time: one column
			fmt.Fprintf(out, "| %s | %d | %s | %s | %.4f (%.4f–%.4f) | — | %d of %d |\n", name, n,
				instructions(quantile(r.base.wall[:n], 0.5)), instructions(quantile(r.new.wall[:n], 0.5)),
				quantile(wr, 0.5), quantile(wr, 0.25), quantile(wr, 0.75), faster, n)
			continue
		}
		fmt.Fprintf(out, "| %s | %d | %s, %s | %s, %s | %.3f (%.3f–%.3f) | %.3f | %d of %d |\n", name, n,
			seconds(quantile(r.base.wall[:n], 0.5)), seconds(quantile(r.base.cpu[:n], 0.5)),
			seconds(quantile(r.new.wall[:n], 0.5)), seconds(quantile(r.new.cpu[:n], 0.5)),
			quantile(wr, 0.5), quantile(wr, 0.25), quantile(wr, 0.75), quantile(cr, 0.5), faster, n)
	}
	return nil
}

// quantile is the q-quantile of xs, interpolated between neighbours.
func quantile(xs []float64, q float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	pos := q * float64(len(s)-1)
	lo := int(pos)
	if lo+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[lo] + (pos-float64(lo))*(s[lo+1]-s[lo])
}

func seconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%.0f ms", s*1000)
	}
	return fmt.Sprintf("%.2f s", s)
}

func instructions(n float64) string { return fmt.Sprintf("%.3f G instructions", n/1e9) }
