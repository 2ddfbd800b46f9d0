package yamlspec

import (
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/diag"
)

// render is one diagnostic as "file:line:col: summary (hint: ...)".
func render(d diag.Diagnostic) string {
	if d.Hint == "" {
		return d.String()
	}
	return d.String() + " (hint: " + d.Hint + ")"
}

// expectDiags asserts the exact, sorted diagnostics.
func expectDiags(t *testing.T, ds diag.Diagnostics, want ...string) {
	t.Helper()
	var got []string
	for _, d := range ds.Sort() {
		got = append(got, render(d))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
}

// noDiags fails on any diagnostic.
func noDiags(t *testing.T, ds diag.Diagnostics) {
	t.Helper()
	if len(ds) > 0 {
		t.Fatalf("unexpected diagnostics:\n%s", ds.Error())
	}
}

// y turns a tab-free literal with leading "|" margins into YAML: tests keep
// their YAML indented with the Go code.
func y(s string) []byte {
	lines := strings.Split(strings.TrimPrefix(s, "\n"), "\n")
	for i, l := range lines {
		if j := strings.Index(l, "|"); j >= 0 && strings.TrimSpace(l[:j]) == "" {
			lines[i] = l[j+1:]
		}
	}
	return []byte(strings.Join(lines, "\n"))
}
