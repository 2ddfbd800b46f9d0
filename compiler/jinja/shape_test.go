package jinja

import (
	"strings"
	"testing"
)

// Models that differ only in their text and in what they ref share one
// pongo2 parse; each still renders its own text, and its errors point into
// its own file.
func TestTemplateShapesAreShared(t *testing.T) {
	e := NewEnv()
	a, ds := e.Compile("models/a.sql", []byte("select *\nfrom {{ ref('stg_a') }}\nwhere {% for c in ['x', 'y'] %}{{ c }} > 0{% if not loop.last %} and {% endif %}{% endfor %}\n"))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	b, ds := e.Compile("models/b.sql", []byte("select id, amount_in_cents\nfrom {{ ref('missing') }}\nwhere {% for c in ['p', 'q'] %}{{ c }} > 0{% if not loop.last %} and {% endif %}{% endfor %}\n"))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	if a.u.tpl != b.u.tpl {
		t.Fatal("two models of the same shape were parsed twice")
	}
	out, err := a.Execute(testGlobals(map[string]any{}))
	if err != nil {
		t.Fatal(err)
	}
	if want := "select *\nfrom \"main\".\"stg_a\"\nwhere x > 0 and y > 0\n"; out != want {
		t.Fatalf("a rendered %q, want %q", out, want)
	}
	_, err = b.Execute(testGlobals(map[string]any{}))
	if err == nil || !strings.Contains(err.Error(), "models/b.sql:2:") || !strings.Contains(err.Error(), "unknown ref 'missing'") {
		t.Fatalf("b's error = %v, want it at models/b.sql:2", err)
	}
}

// Captured text stays literal so filters see it; text written to the
// output, in loops too, comes back whole; a value that looks like a marker
// is left alone.
func TestTextMarkers(t *testing.T) {
	e := NewEnv()
	tpl, ds := e.Compile("models/m.sql", []byte("{% set x %}captured text{% endset %}{{ x | upper }} | {% for i in [1, 2] %}repeated text {{ i }};{% endfor %} | {{ v }}"))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	g := testGlobals(map[string]any{})
	g["v"] = "\x1e0\x1e and \x1e99\x1e"
	out, err := tpl.Execute(g)
	if err != nil {
		t.Fatal(err)
	}
	// Markers carry the Env's nonce: a value cannot pass for one.
	if want := "CAPTURED TEXT | repeated text 1;repeated text 2; | \x1e0\x1e and \x1e99\x1e"; out != want {
		t.Fatalf("rendered %q, want %q", out, want)
	}
	// A source holding the marker character gets no markers at all.
	tpl, ds = e.Compile("models/n.sql", []byte("select '\x1e0\x1e' as weird, {{ 1 + 1 }} as two -- long enough"))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	if out, err := tpl.Execute(g); err != nil || out != "select '\x1e0\x1e' as weird, 2 as two -- long enough" {
		t.Fatalf("rendered %q, %v", out, err)
	}
}
