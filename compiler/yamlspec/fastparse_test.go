package yamlspec

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/synth"
)

// fastParseStrict is fastParse letting through the panics of bugs, which
// fastParse turns into a quiet fallback, so that tests see them.
func fastParseStrict(src []byte) (doc *yaml.Node, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, isBail := r.(bail); !isBail {
				panic(r)
			}
			doc, ok = nil, false
		}
	}()
	return newFastParser(src).document(), true
}

// slowParse is what Parse does without the fast path.
func slowParse(src []byte) (doc *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml.v3 panicked: %v", r)
		}
	}()
	doc = new(yaml.Node)
	err = yaml.Unmarshal(src, doc)
	return doc, err
}

// nodeDiff describes the first difference between the trees got and want
// in the fields the fast path promises to match, or is "".
func nodeDiff(path string, got, want *yaml.Node) string {
	if got == nil || want == nil {
		if got != want {
			return fmt.Sprintf("%s: got %v, want %v", path, got, want)
		}
		return ""
	}
	type fields struct {
		Kind          yaml.Kind
		Tag, Value    string
		Style         yaml.Style
		Line, Column  int
		Anchor        string
		Alias         bool
		ContentLength int
	}
	f := func(n *yaml.Node) fields {
		return fields{n.Kind, n.Tag, n.Value, n.Style, n.Line, n.Column, n.Anchor, n.Alias != nil, len(n.Content)}
	}
	if g, w := f(got), f(want); g != w {
		return fmt.Sprintf("%s: got %+v, want %+v", path, g, w)
	}
	for i := range got.Content {
		if d := nodeDiff(fmt.Sprintf("%s/%d", path, i), got.Content[i], want.Content[i]); d != "" {
			return d
		}
	}
	return ""
}

// checkAgainstYAMLv3 fails unless src is outside the fast path, or yaml.v3
// parses it to the same tree. It reports whether the fast path took it.
func checkAgainstYAMLv3(t *testing.T, src []byte) bool {
	t.Helper()
	got, ok := fastParseStrict(src)
	if !ok {
		return false
	}
	want, err := slowParse(src)
	if err != nil {
		t.Fatalf("fast path accepted what yaml.v3 rejects (%v):\n%s", err, src)
	}
	if d := nodeDiff("doc", got, want); d != "" {
		t.Fatalf("fast path differs from yaml.v3 at %s\ninput:\n%s", d, src)
	}
	return true
}

// repoYAML is every .yml file of the examples and the testdata, by path.
func repoYAML(t testing.TB) map[string][]byte {
	files := map[string][]byte{}
	for _, root := range []string{"../../examples", "../../tests/testdata", "testdata"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yml") {
				return err
			}
			src, err := os.ReadFile(path)
			files[path] = src
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// synthProperties is the property files of a synthetic project of n models.
func synthProperties(n int) [][]byte {
	fsys := synth.Project(n, 1)
	var names []string
	for name := range fsys {
		if strings.HasPrefix(name, "models/") && strings.HasSuffix(name, ".yml") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var files [][]byte
	for _, name := range names {
		files = append(files, fsys[name].Data)
	}
	return files
}

// fastCases are inside the subset: each must take the fast path.
var fastCases = []string{
	"a: 1\n",
	"a: b:c\n",
	"a: http://x.org/a#b\n",
	"a: \"x\" # c\n",
	"a:\n",
	"a:",
	"a: b   \n",
	"key  : value\n",
	"a: [unique, not_null]\nb: ['placed', 'shipped']\n",
	"a: {values: [1, 2, 3], quote: false}\n",
	"a: {to: ref('x'), field: y}\n",
	"a: []\nb: {}\n",
	"a: [[], [x, [y]], {b: {c: d}}]\n",
	"- - x\n  - y\n- z\n",
	"-\n- x\n-\n",
	"- a: 1\n  b:\n  - x\n  -\n  c: ~\n",
	"a:\n- x\n- y\nb: 2\n",
	"a:\n  -\n    b: 1\n",
	"  a: 1\n  b: 2\n",
	"# head\n\na: 1 # line\n  # indented comment\n\n# foot\n",
	"a: 'it''s'\nb: \"q\\\"uote\\\\ \\n\\t\\x41\\u00e9\\U0001F600\"\n",
	"a: ''\nb: \"\"\n",
	"a: true\nb: False\nc: NULL\nd: ~\ne: null\nf: -1\ng: 0\nh: 2.50\ni: -0.5\n",
	"a: yes\nb: no\nc: on\nd: off\ne: y\nf: n\n",
	"é: ü\nkey: café au lait\nx: [é, ü]\n",
	"a: >\n  folded\n  text\n\n  para\n\nb: |\n  literal\n    indented\n  text\n",
	"a: |-\n  x\n\n\nb: >+\n  y\n\n\nc: |\n\n  z\n",
	"- |\n  a\n- >-\n  b\n  c\n",
	"a: |\n  x\n # less indented comment\nb: 1\n",
	"a: |\n",
	"a: >\n  x",
	"a: b\n\n\n",
	"a: 123456789012345678\n",
	"+materialized: view\n-y: 1 = Monday\n.g: b\n",
	"a: 1 = Monday ... 7 = Sunday.\nb: [-1 x, +2 y]\n",
	"a: .inf\nb: -.Inf\nc: .NaN\n",
	"\"k\": v\n'k 2' : v\n\"\": ''\n",
	"- # c\n  - x\n",
	"a:\n  # c\n  - x\n",
	"a: x #c\n  # d\nb: y\n",
	"a: [x] # c\nb: {c: d} # e\n",
	"- a: 1\n  b: 2\n- c: 3\n",
	"a: [b,c]\nd: {e: [f,g],h: i}\n",
}

func TestFastParseSubset(t *testing.T) {
	for _, c := range fastCases {
		if !checkAgainstYAMLv3(t, []byte(c)) {
			t.Errorf("not on the fast path:\n%s", c)
		}
	}
}

// The files Kiln's users write must take the fast path, or it is no faster.
func TestFastParseRealFiles(t *testing.T) {
	for i, src := range synthProperties(1000) {
		if !checkAgainstYAMLv3(t, src) {
			t.Errorf("synth property file %d is not on the fast path", i)
		}
	}
	files := repoYAML(t)
	fast := 0
	for path, src := range files {
		switch {
		case checkAgainstYAMLv3(t, src):
			fast++
		case strings.Contains(path, filepath.Join("examples", "retail")):
			t.Errorf("%s is not on the fast path", path)
		}
	}
	t.Logf("%d of the %d .yml files of the examples and testdata take the fast path", fast, len(files))
}

// FuzzFastParse holds the fast path to yaml.v3: whatever it accepts, yaml.v3
// must accept too, with the same tree.
func FuzzFastParse(f *testing.F) {
	for _, src := range repoYAML(f) {
		f.Add(src)
	}
	for _, src := range synthProperties(100) {
		f.Add(src)
	}
	for _, c := range fastCases {
		f.Add([]byte(c))
	}
	for _, c := range []string{
		"a: yes", "a: 0x1F", "a: 1e3", "a: .5", "a: +1", "a: 1_000", "a: 0o17", "a: 017", "a: 09",
		"a: .inf", "a: -.inf", "a: .nan", "a: 2024-01-02", "a: 12345678901234567890",
		"a: Null", "a: ~x", "<<: {a: 1}", "a: &x 1\nb: *x\n", "a: -x\n", "a: 2001-12-14 21:59:43.10\n", "a: 1 2\n", "--- a: 1\n", "... a\n", "a: !!str 1\n", "%YAML 1.2\n---\na: 1\n",
		"---\na: 1\n...\n", "a: 1\n---\nb: 2\n", "? a\n: b\n", "a: 'x\n  y'\n", "a: x\n  y\n",
		"a: \"\\/\"\n", "a: \"\\q\"\n", "a: \"\\ud800\"\n", "a:\tb\n", "a: b\r\n", "\ufeffa: 1\n",
		"key:value\n", "a: b: c\n", "a: - b\n", "- a\nb: 1\n", "a:\n    b: 1\n  c: 2\n",
		"a: [b,\n  c]\n", "a: [b, ]\n", "a: {b}\n", "a: {b: }\n", "a: [b: c]\n", "a: {b:c}\n",
		"a: |2\n   x\n", "a: |\n      \n  x\n", "a: >\n  x\n   y\n  z\n", "a: |#c\n  x\n",
		"- >\n x\n", "a: 'x'#c\n", "a: \"x\"y\n", "a: [x]#c\n", "a: x #c\n  # d\nb: y\n",
		"- # c\n  - x\n", "a:\n  # c\n  - x\n", "a: [x] # c\nb: {c: d} # e\n",
		"a: ''''\nb: ' x '\n", "@a: 1\n", "`a`: 1\n", "a: @b\n", "-1: x\n", "1: x\ntrue: y\n",
		strings.Repeat("k", 1100) + ": v\n", "a: " + strings.Repeat("[", 300) + strings.Repeat("]", 300) + "\n",
	} {
		f.Add([]byte(c))
	}
	f.Add([]byte("a: 1\nb: {c: 1, c: 2}\n"))
	f.Add([]byte("- a: 1\n  'a': 2\n"))
	// Windows line endings, which the fast path reads as LF, and CRs that
	// are not line endings, which it leaves to yaml.v3.
	for _, c := range fastCases {
		f.Add([]byte(strings.ReplaceAll(c, "\n", "\r\n")))
	}
	for _, c := range []string{
		"a: 'x\r\n  y'\r\n", "a: \"x\r\n\r\n  y\"\r\n", "a: |\r\n  x\r\n  y\r\n", "a: >\r\n  x\r\n\r\n  y\r\n",
		"a: |-\r\n  x\r\n\r\n", "# c\r\na: 1 # d\r\n", "a: b\rc: d\n", "a: b\r", "a: \"x\ry\"\r\n", "a:\r\n  - b\r\n  - c\r\n",
	} {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		checkAgainstYAMLv3(t, src)
		// A tree the fast path calls free of repeated keys has none.
		if doc, mayRepeat, ok := fastParse(src); ok && !mayRepeat {
			var ds diag.Diagnostics
			checkDuplicateKeys("f.yml", doc, &ds)
			if len(ds) > 0 {
				t.Errorf("fast path missed a duplicate key in %q: %v", src, ds)
			}
		}
	})
}

// Property files saved with Windows line endings parse on the fast path,
// to the tree yaml.v3 reads from them.
func TestCRLFTakesTheFastPath(t *testing.T) {
	files := repoYAML(t)
	for i, src := range synthProperties(50) {
		files[fmt.Sprintf("synth %d", i)] = src
	}
	n := 0
	for name, src := range files {
		if _, ok := fastParseStrict(src); !ok {
			continue // outside the fast path with LF too
		}
		crlf := bytes.ReplaceAll(src, []byte("\n"), []byte("\r\n"))
		if !checkAgainstYAMLv3(t, crlf) {
			t.Errorf("%s: on the fast path with LF line endings, not with CRLF", name)
		}
		n++
	}
	if n < 20 {
		t.Fatalf("only %d files on the fast path", n)
	}
	// A CR that ends no line is left to yaml.v3.
	if _, ok := fastParseStrict([]byte("a: b\rc: d\n")); ok {
		t.Error("a lone CR took the fast path")
	}
}

func BenchmarkParseProperties(b *testing.B) {
	files := synthProperties(1000)
	size := 0
	for _, src := range files {
		size += len(src)
	}
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			for _, src := range files {
				if _, _, ok := fastParse(src); !ok {
					b.Fatal("not on the fast path")
				}
			}
		}
	})
	b.Run("yaml.v3", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			for _, src := range files {
				var doc yaml.Node
				if err := yaml.Unmarshal(src, &doc); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
