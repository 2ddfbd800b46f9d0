package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/runner"
)

// printer writes what a person (text) or a machine (json) reads. Each call
// writes whole lines, so output of parallel nodes never interleaves.
type printer struct {
	mu    sync.Mutex
	w     io.Writer
	json  bool
	color bool
	now   func() time.Time
}

func newPrinter(w io.Writer, format string, noColor bool, env func(string) (string, bool)) *printer {
	p := &printer{w: w, json: format == "json", now: time.Now}
	if _, set := env("NO_COLOR"); !set && !noColor && !p.json {
		if f, ok := w.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(f.Fd())) {
			p.color = true
		}
	}
	return p
}

func (p *printer) paint(code, s string) string {
	if !p.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// info prints a plain log line.
func (p *printer) info(event string, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		p.writeJSON(map[string]any{"event": event, "level": "info", "msg": msg})
		return
	}
	fmt.Fprintf(p.w, "%s  %s\n", p.now().Format("15:04:05"), msg)
}

func (p *printer) writeJSON(v map[string]any) {
	v["ts"] = p.now().UTC().Format(time.RFC3339Nano)
	b, _ := json.Marshal(v)
	p.w.Write(append(b, '\n'))
}

// diagnostics prints load problems with snippets and hints.
func (p *printer) diagnostics(ds diag.Diagnostics, files map[string][]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		for _, d := range ds {
			p.writeJSON(map[string]any{
				"event": "diagnostic", "level": d.Severity.String(), "msg": d.Summary, "hint": d.Hint,
				"file": d.Pos.File, "line": d.Pos.Line, "column": d.Pos.Col,
			})
		}
		return
	}
	fmt.Fprint(p.w, diag.Printer{Sources: files, Color: p.color}.Format(ds))
}

var statusWords = map[runner.Status][2]string{
	runner.StatusSuccess:   {"OK", "32"},
	runner.StatusPass:      {"PASS", "32"},
	runner.StatusWarn:      {"WARN", "33"},
	runner.StatusFail:      {"FAIL", "31"},
	runner.StatusError:     {"ERROR", "31"},
	runner.StatusSkipped:   {"SKIP", "33"},
	runner.StatusCancelled: {"CANCELLED", "33"},
}

func describe(n *compiler.Node) string {
	switch n.ResourceType {
	case compiler.Model:
		return n.Materialized() + " model " + n.RelationName
	case compiler.Seed:
		return "seed " + n.RelationName
	case compiler.Snapshot:
		return "snapshot " + n.RelationName
	case compiler.Test:
		return "test " + n.Name
	}
	return n.ResourceType + " " + n.Name
}

// event prints a node's progress line.
func (p *printer) event(e runner.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := e.Node
	if p.json {
		v := map[string]any{
			"event": "node_" + string(e.Kind) + "ed", "level": "info", "unique_id": n.UniqueID, "name": n.Name,
			"resource_type": n.ResourceType, "index": e.Index, "total": e.Total,
		}
		if e.Kind == runner.EventStart {
			v["event"] = "node_started"
		} else {
			v["event"] = "node_finished"
		}
		if n.ResourceType == compiler.Model {
			v["materialized"] = n.Materialized()
		}
		if r := e.Result; r != nil {
			v["status"] = r.Status
			v["message"] = r.Message
			v["rows_affected"] = r.RowsAffected
			v["failures"] = r.Failures
			v["execution_time"] = r.ExecutionTime
			if r.Status == runner.StatusError || r.Status == runner.StatusFail {
				v["level"] = "error"
			}
		}
		p.writeJSON(v)
		return
	}
	if e.Kind == runner.EventStart {
		return // text mode prints one line per node, when it finishes
	}
	r := e.Result
	word := statusWords[r.Status]
	idx := fmt.Sprintf("%d of %d", e.Index, e.Total)
	if e.Index == 0 {
		idx = fmt.Sprintf("- of %d", e.Total)
	}
	left := fmt.Sprintf("%s %s %s ", idx, word[0], describe(n))
	detail := fmt.Sprintf("[%s in %.2fs]", r.Message, r.ExecutionTime)
	switch r.Status {
	case runner.StatusSkipped, runner.StatusCancelled:
		detail = "[" + strings.ToUpper(string(r.Status)) + "]"
	case runner.StatusError:
		detail = fmt.Sprintf("[ERROR in %.2fs]", r.ExecutionTime)
	}
	dots := 72 - len(left)
	if dots < 3 {
		dots = 3
	}
	line := left + strings.Repeat(".", dots) + " " + detail
	fmt.Fprintf(p.w, "%s  %s\n", p.now().Format("15:04:05"), p.paint(word[1], line))
}

// summary prints the totals line and the details of what went wrong.
func (p *printer) summary(results []*runner.Result, elapsed time.Duration, targetDir string) {
	counts := map[runner.Status]int{}
	for _, r := range results {
		counts[r.Status]++
	}
	pass := counts[runner.StatusSuccess] + counts[runner.StatusPass]
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		p.writeJSON(map[string]any{
			"event": "run_finished", "level": "info", "elapsed": elapsed.Seconds(),
			"pass": pass, "warn": counts[runner.StatusWarn], "error": counts[runner.StatusError] + counts[runner.StatusFail],
			"skip": counts[runner.StatusSkipped] + counts[runner.StatusCancelled], "total": len(results),
		})
		return
	}
	ts := p.now().Format("15:04:05")
	fmt.Fprintf(p.w, "%s\n%s  Finished running %d node%s in %.2fs.\n", ts, ts, len(results), plural(len(results)), elapsed.Seconds())
	var bad []*runner.Result
	for _, r := range results {
		if r.Status == runner.StatusError || r.Status == runner.StatusFail || r.Status == runner.StatusWarn {
			bad = append(bad, r)
		}
	}
	for _, r := range bad {
		label := "Failure"
		switch r.Status {
		case runner.StatusError:
			label = "Error"
		case runner.StatusWarn:
			label = "Warning"
		}
		fmt.Fprintf(p.w, "%s\n%s  %s in %s %s (%s)\n", ts, ts, p.paint(statusWords[r.Status][1], label), r.Node.ResourceType, r.Node.Name, r.Node.Path)
		for _, l := range strings.Split(r.Message, "\n") {
			fmt.Fprintf(p.w, "%s    %s\n", ts, l)
		}
		if r.Node.ResourceType == compiler.Test && r.Failures > 0 {
			fmt.Fprintf(p.w, "%s\n%s    %d row%s failed. See them with the query in %s\n", ts, ts, r.Failures, plural(int(r.Failures)), compiledPath(targetDir, r.Node))
		} else if r.Node.CompiledSQL != "" {
			fmt.Fprintf(p.w, "%s    compiled SQL: %s\n", ts, compiledPath(targetDir, r.Node))
		}
	}
	line := fmt.Sprintf("Done. PASS=%d WARN=%d ERROR=%d SKIP=%d TOTAL=%d", pass, counts[runner.StatusWarn],
		counts[runner.StatusError]+counts[runner.StatusFail], counts[runner.StatusSkipped]+counts[runner.StatusCancelled], len(results))
	code := "32"
	if len(bad) > 0 {
		code = "31"
	}
	fmt.Fprintf(p.w, "%s\n%s  %s\n", ts, ts, p.paint(code, line))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
