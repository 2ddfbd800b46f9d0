package tests

import (
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// brokenCase is tests/testdata/broken/<case>/expect.yml.
type brokenCase struct {
	Args []string `yaml:"args"` // default: build
	Exit int      `yaml:"exit"`
	Want []string `yaml:"want"` // texts the output must contain
	// Fix replaces files for a first, good build; the broken build after it
	// must leave every relation as that build left it.
	Fix map[string]string `yaml:"fix"`
	// Position, when set, is the position the message gives instead of a
	// file:line (a known gap, stated in the case).
	Position string `yaml:"position"`
}

// position is a file:line in a message, or the flag at fault.
var position = regexp.MustCompile(`(\.(sql|yml|yaml|csv):\d+|^--[a-z-]+(:\d+)?)`)

// TestBrokenProjects runs every project under testdata/broken: the exit
// code, the position and texts in the message, no panic, and no relation
// changed.
func TestBrokenProjects(t *testing.T) {
	root := filepath.Join("testdata", "broken")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runBroken(t, filepath.Join(root, name))
		})
	}
	if n < 40 {
		t.Errorf("the corpus has %d cases, want at least 40", n)
	}
}

func runBroken(t *testing.T, src string) {
	b, err := os.ReadFile(filepath.Join(src, "expect.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var tc brokenCase
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&tc); err != nil {
		t.Fatalf("expect.yml: %v", err)
	}
	if tc.Exit == 0 || len(tc.Want) == 0 {
		t.Fatal("expect.yml needs exit and want")
	}
	hasPos := tc.Position != ""
	for _, w := range tc.Want {
		hasPos = hasPos || position.MatchString(w)
	}
	if !hasPos && tc.Exit == 2 && !strings.Contains(strings.Join(tc.Want, " "), "dbt_project.yml") && !wantsFlag(tc) {
		t.Fatalf("want names no file:line or flag: %q", tc.Want)
	}

	// Copy the case into a fresh project directory.
	dir := t.TempDir()
	broken := map[string]string{}
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel == "expect.yml" {
			return nil
		}
		data, err := os.ReadFile(p)
		broken[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	before := map[string]string(nil)
	if tc.Fix != nil {
		good := map[string]string{}
		for k, v := range broken {
			good[k] = v
		}
		for k, v := range tc.Fix {
			good[k] = v
		}
		writeFiles(t, dir, good)
		if r := kiln(t, dir, nil, "build"); r.code != 0 {
			t.Fatalf("the good build: exit %d\n%s", r.code, r.output())
		}
		before = relationCounts(t, dir)
	}
	writeFiles(t, dir, broken)
	args := tc.Args
	if len(args) == 0 {
		args = []string{"build"}
	}
	r := kiln(t, dir, nil, args...)
	out := r.output()
	if r.code != tc.Exit {
		t.Fatalf("exit %d, want %d\n%s", r.code, tc.Exit, out)
	}
	for _, w := range tc.Want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	for _, bad := range []string{"panic", "goroutine ", "runtime error", ".go:"} {
		if strings.Contains(out, bad) {
			t.Errorf("output has %q:\n%s", bad, out)
		}
	}
	after := relationCounts(t, dir)
	if before == nil && after != nil {
		t.Errorf("a database was created although the build failed before running")
	}
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("relations changed:\nbefore %v\nafter  %v", before, after)
	}
}

func wantsFlag(tc brokenCase) bool {
	for _, w := range tc.Want {
		for _, a := range tc.Args {
			if strings.HasPrefix(a, "--") && strings.Contains(w, strings.TrimPrefix(a, "--")) {
				return true
			}
		}
	}
	return false
}

// relationCounts is every relation of the project database with its row
// count (nil when there is no database).
func relationCounts(t *testing.T, dir string) map[string]string {
	t.Helper()
	path := filepath.Join(dir, "target", "shop.duckdb")
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rs, err := db.Query("select table_schema, table_name from information_schema.tables")
	if err != nil {
		t.Fatal(err)
	}
	var names [][2]string
	for rs.Next() {
		var s, n string
		rs.Scan(&s, &n)
		names = append(names, [2]string{s, n})
	}
	rs.Close()
	sort.Slice(names, func(i, j int) bool { return names[i][0]+"."+names[i][1] < names[j][0]+"."+names[j][1] })
	out := map[string]string{}
	for _, n := range names {
		var c, sum string
		if err := db.QueryRow(fmt.Sprintf(`select count(*)::varchar, coalesce(sum(hash(t))::varchar, '-') from "%s"."%s" t`, n[0], n[1])).Scan(&c, &sum); err != nil {
			t.Fatal(err)
		}
		out[n[0]+"."+n[1]] = c + ":" + sum
	}
	return out
}
