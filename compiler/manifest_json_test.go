package compiler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/synth"
)

// expectSameJSON checks that Manifest.WriteJSON writes what json.Marshal
// writes, byte for byte. A compiled manifest's parent and child maps are
// its graph's; json.Marshal sees them as maps with a list (never null) for
// every node.
func expectSameJSON(t *testing.T, m *compiler.Manifest) {
	t.Helper()
	marshaled := m
	if m != nil && m.ParentMap == nil && m.ChildMap == nil && m.Graph != nil {
		withMaps := *m
		withMaps.ParentMap, withMaps.ChildMap = map[string][]string{}, map[string][]string{}
		for _, id := range m.Graph.IDs() {
			withMaps.ParentMap[id] = append([]string{}, m.Parents(id)...)
			withMaps.ChildMap[id] = append([]string{}, m.Children(id)...)
		}
		marshaled = &withMaps
	}
	want, werr := json.Marshal(marshaled)
	var got bytes.Buffer
	gerr := m.WriteJSON(&got)
	if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
		t.Fatalf("WriteJSON error %v, json.Marshal error %v", gerr, werr)
	}
	if werr != nil {
		return
	}
	if !bytes.Equal(got.Bytes(), want) {
		g, w := got.Bytes(), want
		i := 0
		for i < len(g) && i < len(w) && g[i] == w[i] {
			i++
		}
		from := max(i-80, 0)
		t.Fatalf("WriteJSON differs from json.Marshal at byte %d:\n got: %s\nwant: %s", i, g[from:min(i+80, len(g))], w[from:min(i+80, len(w))])
	}
}

// TestManifestWriteJSONSynthetic compiles 600 models with 1,800 tests: more
// than 2,048 nodes, so WriteJSON encodes the node and family maps in
// parallel chunks (on more than one core).
func TestManifestWriteJSONSynthetic(t *testing.T) {
	m, ds := compiler.Compile(context.Background(), compiler.Options{FS: synth.Project(600, 1), Target: benchTarget()})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	expectSameJSON(t, m)
}

// TestManifestWriteJSON fills every field of the manifest that JSON
// encodes, found by reflection, so a field added to Node without a case in
// WriteJSON fails here.
func TestManifestWriteJSON(t *testing.T) {
	var m compiler.Manifest
	fillJSON(reflect.ValueOf(&m).Elem(), 0)
	expectSameJSON(t, &m)

	// Empty and nil values: omitempty fields left out, nil as null.
	expectSameJSON(t, &compiler.Manifest{})
	expectSameJSON(t, &compiler.Manifest{
		Nodes:   map[string]*compiler.Node{"a": {}, "b": nil, "c": {Columns: []compiler.Column{}, Tags: []string{}, Meta: map[string]any{}, Config: map[string]any{}, DependsOn: []string{}}},
		Sources: map[string]*compiler.Node{}, ParentMap: map[string][]string{"a": nil, "b": {}},
		Macros: map[string]compiler.MacroInfo{},
	})
	expectSameJSON(t, nil)

	// Values json.Marshal cannot encode fail the same way.
	for _, v := range []any{math.NaN(), func() {}, map[string]any{"x": math.Inf(1)}} {
		expectSameJSON(t, &compiler.Manifest{Nodes: map[string]*compiler.Node{"a": {Config: map[string]any{"bad": v}}}})
	}
}

// oddText is a string with everything encoding/json escapes.
const oddText = "a\"b\\c/d<e>f&g\n\r\t\b\f\x00\x01\x1f\x7f é \u2028 \u2029 \xff\xfe 😀 end"

// configValues are the values a config, meta or test kwarg can hold.
func configValues() map[string]any {
	type custom struct {
		A string `json:"a"`
		B int
	}
	return map[string]any{
		"nil": nil, "str": oddText, "empty": "", "t": true, "f": false,
		"int": -42, "int64": int64(1) << 60, "float": 3.25, "small": 1e-9, "big": 1e22, "whole": 2.0,
		"uint": uint8(7), "list": []any{"x", 1, nil, []any{}, map[string]any{"k": "v"}},
		"nil_list": []any(nil), "strings": []string{"a", oddText}, "nil_strings": []string(nil),
		"map": map[string]any{"z": 1, "a": map[string]any{}, oddText: "k"}, "nil_map": map[string]any(nil),
		"time": time.Date(2024, 5, 6, 7, 8, 9, 10, time.UTC), "struct": custom{A: "<a>", B: 2},
		"ptr": &custom{}, "nil_ptr": (*custom)(nil), "string_map": map[string]string{"b": "1", "a": "2"},
	}
}

// fillJSON sets every JSON-encoded field reachable from v to a value that
// is not empty.
func fillJSON(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() || f.Tag.Get("json") == "-" {
				continue
			}
			fillJSON(v.Field(i), depth+1)
		}
	case reflect.String:
		v.SetString(fmt.Sprintf("%s %d", oddText, depth))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(int64(depth + 3))
	case reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillJSON(v.Elem(), depth+1)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := 0; i < 2; i++ {
			fillJSON(v.Index(i), depth+1+i)
		}
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			fillJSON(v.Index(i), depth+1+i)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for i, k := range []string{"b" + oddText, "a"} {
			val := reflect.New(v.Type().Elem()).Elem()
			fillJSON(val, depth+1+i)
			v.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), val)
		}
	case reflect.Interface:
		if v.Type() == reflect.TypeFor[any]() {
			v.Set(reflect.ValueOf(configValues()))
		}
	default:
		panic(fmt.Sprintf("fillJSON: no case for %s", v.Type()))
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	var b strings.Builder
	for r := rune(0); r < 0x3000; r++ {
		b.WriteRune(r)
	}
	for _, s := range []string{"", oddText, b.String(), "\xed\xa0\x80", "abc\xf0\x9f"} {
		m := &compiler.Manifest{Metadata: compiler.Metadata{ProjectName: s}}
		expectSameJSON(t, m)
	}
	// Every byte at every offset of an eight-byte word, and around it.
	for c := 0; c < 256; c++ {
		for at := 0; at < 20; at++ {
			s := []byte(strings.Repeat("x", 20))
			s[at] = byte(c)
			m := &compiler.Manifest{Metadata: compiler.Metadata{ProjectName: string(s), TargetName: string(s[:at+1])}}
			expectSameJSON(t, m)
		}
	}
}

// BenchmarkManifestJSON encodes the manifest of a compiled synthetic
// project (KILN_BENCH_MODELS sizes, as BenchmarkCompile) with WriteJSON
// and, for comparison, json.Marshal.
func BenchmarkManifestJSON(b *testing.B) {
	for _, n := range benchSizes(b) {
		m, ds := compiler.Compile(context.Background(), compiler.Options{FS: synth.Project(n, 1), Target: benchTarget()})
		if ds.HasErrors() {
			b.Fatal(ds)
		}
		b.Run(fmt.Sprintf("models=%d/WriteJSON", n), func(b *testing.B) {
			b.ReportAllocs()
			var size countingWriter
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				size = 0
				if err := m.WriteJSON(&size); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
			b.SetBytes(int64(size))
		})
		b.Run(fmt.Sprintf("models=%d/json.Marshal", n), func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				out, err := json.Marshal(m)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(out)))
			}
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

type countingWriter int64

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}
