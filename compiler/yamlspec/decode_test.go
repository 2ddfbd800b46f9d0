package yamlspec

import (
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
)

type testCol struct {
	Name string   `yaml:"name,required"`
	Tags []string `yaml:"tags"`
	Pos  diag.Pos `yaml:"-"`
}

type testDoc struct {
	Name   string              `yaml:"name"`
	Count  int                 `yaml:"count"`
	Small  int8                `yaml:"small"`
	Ratio  float64             `yaml:"ratio"`
	On     bool                `yaml:"on"`
	Paths  []string            `yaml:"paths,alias=source-paths"`
	Labels map[string]string   `yaml:"labels"`
	Cols   []*testCol          `yaml:"cols"`
	Any    any                 `yaml:"any"`
	Raw    *yaml.Node          `yaml:"raw"`
	RawV   yaml.Node           `yaml:"rawv"`
	Mat    string              `yaml:"materialized,plus"`
	Tags   StringOrList        `yaml:"tags"`
	Ptr    *int                `yaml:"ptr"`
	KeyPos map[string]diag.Pos `yaml:"-"`
	Pos    diag.Pos            `yaml:"-"`
}

type testInline struct {
	Name  string         `yaml:"name"`
	Extra map[string]any `yaml:",inline"`
}

func decodeSrc(t *testing.T, src []byte, out any) diag.Diagnostics {
	t.Helper()
	root, ds := Parse("f.yml", src)
	if ds.HasErrors() {
		return ds
	}
	return append(ds, Decode("f.yml", root, out)...)
}

func TestDecodeHappy(t *testing.T) {
	var doc testDoc
	noDiags(t, decodeSrc(t, y(`
		|name: shop
		|count: 0x10
		|small: -3
		|ratio: 1.5
		|on: true
		|source-paths: [models, more]
		|labels: {a: x, b: "2"}
		|cols:
		|  - name: id
		|    tags: [pk]
		|  - name: amount
		|any: {m: [1, 2.5, "s", yes, null, true, 2024-01-01, ~], n: .inf}
		|raw: {keep: me}
		|rawv: [1]
		|+materialized: table
		|tags: nightly
		|ptr: 7
		|`), &doc))
	if doc.Name != "shop" || doc.Count != 16 || doc.Small != -3 || doc.Ratio != 1.5 || !doc.On {
		t.Errorf("scalars: %+v", doc)
	}
	if !reflect.DeepEqual(doc.Paths, []string{"models", "more"}) || doc.Labels["b"] != "2" {
		t.Errorf("paths/labels: %v %v", doc.Paths, doc.Labels)
	}
	if len(doc.Cols) != 2 || doc.Cols[1].Name != "amount" || doc.Cols[0].Pos != (diag.Pos{File: "f.yml", Line: 9, Col: 5}) {
		t.Errorf("cols: %+v", doc.Cols[0])
	}
	m := doc.Any.(map[string]any)
	wantM := []any{1, 2.5, "s", "yes", nil, true, "2024-01-01", nil}
	if !reflect.DeepEqual(m["m"], wantM) {
		t.Errorf("any: %#v", m["m"])
	}
	if doc.Raw == nil || doc.Raw.Kind != yaml.MappingNode || doc.RawV.Kind != yaml.SequenceNode {
		t.Errorf("raw nodes not kept")
	}
	if doc.Mat != "table" || !reflect.DeepEqual(doc.Tags, StringOrList{"nightly"}) || *doc.Ptr != 7 {
		t.Errorf("mat/tags/ptr: %q %v", doc.Mat, doc.Tags)
	}
	if doc.Pos != (diag.Pos{File: "f.yml", Line: 1, Col: 1}) || doc.KeyPos["materialized"] != (diag.Pos{File: "f.yml", Line: 15, Col: 16}) {
		t.Errorf("pos: %+v %+v", doc.Pos, doc.KeyPos["materialized"])
	}
}

func TestDecodeInlineAndMerge(t *testing.T) {
	var v testInline
	noDiags(t, decodeSrc(t, y(`
		|base: &base {custom: 1, name: base}
		|name: x
		|<<: *base
		|`), &v))
	if v.Name != "x" || v.Extra["custom"] != 1 || v.Extra["base"] == nil {
		t.Errorf("inline: %+v", v)
	}
	var l struct {
		L StringOrList `yaml:"l"`
	}
	noDiags(t, decodeSrc(t, []byte("l: [a, 1, true]\n"), &l))
	if !reflect.DeepEqual(l.L, StringOrList{"a", "1", "true"}) {
		t.Errorf("list: %v", l.L)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"unknown key with hint", "nmae: x\n", []string{`f.yml:1:1: unknown key "nmae" (hint: did you mean "name"?)`}},
		{"list of strings got mapping", "paths: {a: 1}\n", []string{`f.yml:1:8: paths: expected a list of strings, got a mapping`}},
		{"int got string", "count: many\n", []string{`f.yml:1:8: count: expected an integer, got a string`}},
		{"int got quoted number", "count: \"4\"\n", []string{`f.yml:1:8: count: expected an integer, got the string "4" (hint: remove the quotes, or add ` + "`| as_number`" + ` to an env_var() template)`}},
		{"overflow", "small: 300\n", []string{`f.yml:1:8: small: 300 is out of range for an integer`}},
		{"bool", "on: yes\n", []string{`f.yml:1:5: on: expected a boolean (true or false), got a string`}},
		{"struct in list", "cols: [x]\n", []string{`f.yml:1:8: cols: expected a mapping, got a string`}},
		{"required and nested", "cols:\n  - tags: {}\n", []string{
			`f.yml:2:5: missing required key "name"`,
			`f.yml:2:11: tags: expected a list of strings, got a mapping`,
		}},
		{"string or list", "tags: {a: b}\n", []string{`f.yml:1:7: tags: expected a string or a list of strings, got a mapping`}},
		{"same property twice", "materialized: a\n+materialized: b\n", []string{`f.yml:2:1: "materialized" and "+materialized" name the same property (hint: keep only "materialized")`}},
		{"duplicate key", "name: a\ncount: 1\nname: b\n", []string{`f.yml:3:1: duplicate key "name" (hint: first defined at line 1; remove one of them)`}},
		{"duplicate key thrice", "name: a\nname: b\nname: c\n", []string{
			`f.yml:2:1: duplicate key "name" (hint: first defined at line 1; remove one of them)`,
			`f.yml:3:1: duplicate key "name" (hint: first defined at line 1; remove one of them)`,
		}},
		// Past 16 keys the fast path leaves the check to Parse's walk.
		{"duplicate key in a large mapping", "any:\n  k0: 0\n  k1: 1\n  k2: 2\n  k3: 3\n  k4: 4\n  k5: 5\n  k6: 6\n  k7: 7\n  k8: 8\n  k9: 9\n  k10: 10\n  k11: 11\n  k12: 12\n  k13: 13\n  k14: 14\n  k15: 15\n  k16: 16\n  k17: 17\n  k18: 18\n  k19: 19\n  k3: again\n", []string{`f.yml:22:3: duplicate key "k3" (hint: first defined at line 5; remove one of them)`}},
		{"all problems", "nme: a\ncount: x\nratio: [1]\n", []string{
			`f.yml:1:1: unknown key "nme" (hint: did you mean "name"?)`,
			`f.yml:2:8: count: expected an integer, got a string`,
			`f.yml:3:8: ratio: expected a number, got a list`,
		}},
		{"top level not a mapping", "- a\n", []string{`f.yml:1:1: expected a mapping, got a list`}},
		{"syntax: mapping values", "name: a: b\n", []string{`f.yml:1:1: invalid YAML: mapping values are not allowed in this context (hint: quote values that contain ": ", or fix the indentation)`}},
		{"syntax: tab", "name:\n\tcount: 1\n", []string{`f.yml:2:1: invalid YAML: found character that cannot start any token (hint: YAML does not allow tabs for indentation; use spaces)`}},
		{"syntax: indentation", "cols:\n  - x\n name: 1\n", []string{`f.yml:2:1: invalid YAML: did not find expected key (hint: check the indentation: keys of one mapping must line up)`}},
		{"syntax: unknown anchor", "name: x\nany: *nope\n", []string{`f.yml:2:6: invalid YAML: unknown anchor 'nope' referenced (hint: define the anchor with &name before using *name)`}},
		{"syntax: unclosed", "paths: [a, b\n", []string{`f.yml:1:1: invalid YAML: did not find expected ',' or ']' (hint: a flow [list] or {mapping} is not closed, or an item needs quotes)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var doc testDoc
			expectDiags(t, decodeSrc(t, []byte(tc.src), &doc), tc.want...)
		})
	}
}

func TestDecodeAliasBomb(t *testing.T) {
	src := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f", "g", "h"} {
		src += name + ": &" + name + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = name
	}
	var v map[string]any
	ds := decodeSrc(t, []byte(src), &v)
	if len(ds) == 0 {
		t.Fatal("expected an alias expansion error")
	}
}

func TestEmptyDocument(t *testing.T) {
	root, ds := Parse("f.yml", []byte("# only a comment\n"))
	if root != nil || len(ds) != 0 {
		t.Fatalf("got %v %v", root, ds)
	}
	var doc testDoc
	noDiags(t, Decode("f.yml", root, &doc))
}

func TestDecodeMergeGuards(t *testing.T) {
	var v any
	expectDiags(t, decodeSrc(t, []byte("a: &a {<<: *a}\n"), &v), `f.yml:1:12: merge key << includes the mapping it is in`)

	src := "a: &a {x: 1, y: 2}\n"
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		src += name + ": &" + name + " {<<: [" + strings.Repeat("*"+prev+", ", 7) + "*" + prev + "]}\n"
		prev = name
	}
	ds := decodeSrc(t, []byte(src), &v)
	if len(ds) != 1 || ds[0].Summary != "document expands to more than 1000000 nodes through aliases" {
		t.Fatalf("got %v", ds)
	}
}
