// Package diag carries problems found while loading a project: where they
// are (file and byte offset, turned into line:col only when printed), what is
// wrong, and a hint. Loaders collect every problem and fail once.
package diag

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Severity orders diagnostics: errors fail a load, warnings do not.
type Severity int

const (
	Error Severity = iota
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Pos is a place in a project file. Offset is a byte offset into the file;
// Line and Col (1-based, Col counted in bytes) may be filled in directly by
// decoders that already know them (yaml.Node does), otherwise they are
// derived from Offset when the diagnostic is printed.
type Pos struct {
	File   string `json:"file"`
	Offset int    `json:"-"`
	Line   int    `json:"line,omitempty"`
	Col    int    `json:"column,omitempty"`
}

// Known reports whether the position names a file.
func (p Pos) Known() bool { return p.File != "" }

// Diagnostic is one problem.
type Diagnostic struct {
	Severity Severity
	Pos      Pos
	Summary  string // what is wrong, one line
	Hint     string // what to do about it, may be empty
}

func (d Diagnostic) Error() string {
	return d.String()
}

// String is the one-line form: file:line:col: summary.
func (d Diagnostic) String() string {
	if !d.Pos.Known() {
		return d.Summary
	}
	if d.Pos.Line == 0 {
		return fmt.Sprintf("%s: %s", d.Pos.File, d.Summary)
	}
	return fmt.Sprintf("%s:%d:%d: %s", d.Pos.File, d.Pos.Line, d.Pos.Col, d.Summary)
}

// Diagnostics is a list of problems; it is an error when it holds an error.
type Diagnostics []Diagnostic

// Errorf appends an error at pos.
func (ds *Diagnostics) Errorf(pos Pos, hint string, format string, args ...any) {
	*ds = append(*ds, Diagnostic{Severity: Error, Pos: pos, Summary: fmt.Sprintf(format, args...), Hint: hint})
}

// Warnf appends a warning at pos.
func (ds *Diagnostics) Warnf(pos Pos, hint string, format string, args ...any) {
	*ds = append(*ds, Diagnostic{Severity: Warning, Pos: pos, Summary: fmt.Sprintf(format, args...), Hint: hint})
}

// Append adds other diagnostics.
func (ds *Diagnostics) Append(other ...Diagnostic) { *ds = append(*ds, other...) }

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Err returns the diagnostics as an error when they hold an error, else nil.
func (ds Diagnostics) Err() error {
	if ds.HasErrors() {
		return ds
	}
	return nil
}

func (ds Diagnostics) Error() string {
	var b strings.Builder
	for i, d := range ds {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
	}
	return b.String()
}

// Sort orders diagnostics by file, line, column, then summary, so output is
// stable whatever order parallel loaders found them in. Duplicates are
// removed.
func (ds Diagnostics) Sort() Diagnostics {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i].Pos, ds[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Offset != b.Offset {
			return a.Offset < b.Offset
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return ds[i].Summary < ds[j].Summary
	})
	out := ds[:0]
	for i, d := range ds {
		if i > 0 && d == ds[i-1] {
			continue
		}
		out = append(out, d)
	}
	return out
}

// Resolve fills Line and Col from Offset using the file contents in src
// (keyed by Pos.File). Diagnostics whose file is not in src keep what they
// have.
func (ds Diagnostics) Resolve(src map[string][]byte) {
	for i := range ds {
		p := &ds[i].Pos
		if p.Line != 0 || !p.Known() {
			continue
		}
		text, ok := src[p.File]
		if !ok {
			continue
		}
		p.Line, p.Col = LineCol(text, p.Offset)
	}
}

// LineCol turns a byte offset into a 1-based line and column.
func LineCol(text []byte, offset int) (line, col int) {
	if offset > len(text) {
		offset = len(text)
	}
	if offset < 0 {
		offset = 0
	}
	line = 1
	start := 0
	for i := 0; i < offset; i++ {
		if text[i] == '\n' {
			line++
			start = i + 1
		}
	}
	return line, offset - start + 1
}

// OffsetOf is the inverse of LineCol: the byte offset of line:col.
func OffsetOf(text []byte, line, col int) int {
	l := 1
	for i := 0; i < len(text); i++ {
		if l == line {
			off := i + col - 1
			if off > len(text) {
				off = len(text)
			}
			return off
		}
		if text[i] == '\n' {
			l++
		}
	}
	return len(text)
}

// Printer formats diagnostics for a person: the one-line form, the offending
// line with a caret under the column, and the hint.
type Printer struct {
	Sources map[string][]byte // file contents by Pos.File, for snippets
	Color   bool
}

// Format renders all diagnostics followed by a count line.
func (p Printer) Format(ds Diagnostics) string {
	var b strings.Builder
	nerr := 0
	for _, d := range ds {
		if d.Severity == Error {
			nerr++
		}
		p.one(&b, d)
	}
	if nerr > 0 {
		fmt.Fprintf(&b, "%d error(s) found; nothing was run.\n", nerr)
	}
	return b.String()
}

func (p Printer) paint(code, s string) string {
	if !p.Color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p Printer) one(b *strings.Builder, d Diagnostic) {
	label := p.paint("1;31", "error")
	if d.Severity == Warning {
		label = p.paint("1;33", "warning")
	}
	fmt.Fprintf(b, "%s: %s\n", label, d.String())
	if text, ok := p.Sources[d.Pos.File]; ok && d.Pos.Line > 0 {
		if line, ok := lineText(text, d.Pos.Line); ok {
			gutter := fmt.Sprintf("%5d | ", d.Pos.Line)
			fmt.Fprintf(b, "%s%s\n", gutter, strings.ReplaceAll(line, "\t", " "))
			col := d.Pos.Col
			if col < 1 {
				col = 1
			}
			prefix := line
			if col-1 < len(prefix) {
				prefix = prefix[:col-1]
			}
			pad := utf8.RuneCountInString(prefix)
			fmt.Fprintf(b, "%s%s%s\n", strings.Repeat(" ", len(gutter)-2)+"| ", strings.Repeat(" ", pad), p.paint("1;32", "^"))
		}
	}
	if d.Hint != "" {
		fmt.Fprintf(b, "  hint: %s\n", d.Hint)
	}
}

func lineText(text []byte, line int) (string, bool) {
	l := 1
	start := 0
	for i := 0; i <= len(text); i++ {
		if i == len(text) || text[i] == '\n' {
			if l == line {
				return strings.TrimRight(string(text[start:i]), "\r"), true
			}
			l++
			start = i + 1
		}
	}
	return "", false
}

// Closest returns the candidate nearest to s by edit distance, or "" when
// none is close enough to be a plausible typo.
func Closest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		d := levenshtein(strings.ToLower(s), strings.ToLower(c))
		if d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	limit := len(s)/3 + 1
	if limit > 4 {
		limit = 4
	}
	if bestD <= limit {
		return best
	}
	return ""
}

// DidYouMean is a hint naming the closest candidate, or "".
func DidYouMean(s string, candidates []string) string {
	if c := Closest(s, candidates); c != "" {
		return fmt.Sprintf("did you mean %q?", c)
	}
	return ""
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
