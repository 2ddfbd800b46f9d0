package tests

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A run rewrites only the compiled and executed SQL files whose text
// changed: an unchanged file keeps its inode (it is not replaced), a
// changed one gets the new text.
func TestUnchangedArtifactsAreNotRewritten(t *testing.T) {
	dir := project(t, map[string]string{
		"models/a.sql": "select 1 as id\n",
		"models/b.sql": "select id from {{ ref('a') }}\n",
	})
	files := []string{
		"target/compiled/shop/models/a.sql", "target/compiled/shop/models/b.sql",
		"target/run/shop/models/a.sql", "target/run/shop/models/b.sql",
	}
	stat := func() map[string]os.FileInfo {
		out := map[string]os.FileInfo{}
		for _, f := range files {
			fi, err := os.Stat(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			out[f] = fi
		}
		return out
	}
	read := func(f string) string {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// The first run creates the views; from the second on, what runs
	// (with its drop of the old view) is the same each time.
	mustKiln(t, dir, 0, "run")
	mustKiln(t, dir, 0, "run")
	first := stat()
	mustKiln(t, dir, 0, "run")
	second := stat()
	for _, f := range files {
		if !os.SameFile(first[f], second[f]) {
			t.Errorf("%s was rewritten by a run that did not change it", f)
		}
	}
	writeFiles(t, dir, map[string]string{"models/a.sql": "select 2 as id\n"})
	mustKiln(t, dir, 0, "run")
	third := stat()
	for _, f := range files {
		changed := strings.HasSuffix(f, "/a.sql")
		if os.SameFile(second[f], third[f]) == changed {
			t.Errorf("%s: replaced=%v after a change to a.sql only", f, !changed)
		}
	}
	if got := read("target/compiled/shop/models/a.sql"); !strings.Contains(got, "select 2") {
		t.Errorf("compiled a.sql not updated: %q", got)
	}
	if got := read("target/run/shop/models/a.sql"); !strings.Contains(got, "select 2") {
		t.Errorf("executed a.sql not updated: %q", got)
	}
}

// Artifacts are replaced whole: a second parse puts the new manifest in
// place (a reader that opened the old one still reads all of it), and
// leaves no temporary file behind, whether an old file was there to be
// exchanged with (Linux) or not.
func TestArtifactsAreReplacedWhole(t *testing.T) {
	dir := project(t, map[string]string{"models/a.sql": "select 1 as id\n"})
	target := filepath.Join(dir, "target")
	leftovers := func() {
		t.Helper()
		tmps, err := filepath.Glob(filepath.Join(target, "*.tmp"))
		if err != nil || len(tmps) > 0 {
			t.Errorf("temporary files left in target/: %v %v", tmps, err)
		}
	}
	mustKiln(t, dir, 0, "parse")
	leftovers()
	manifest := filepath.Join(target, "manifest.json")
	old, err := os.Open(manifest)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	oldText, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{"models/b.sql": "select id from {{ ref('a') }}\n"})
	mustKiln(t, dir, 0, "parse")
	leftovers()
	newText, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(newText), `"model.shop.b"`) || strings.Contains(string(oldText), `"model.shop.b"`) {
		t.Errorf("manifest.json not replaced by the second parse")
	}
	held, err := io.ReadAll(old)
	if err != nil {
		t.Fatal(err)
	}
	if string(held) != string(oldText) {
		t.Errorf("the old manifest.json, held open, changed under its reader (%d bytes, was %d)", len(held), len(oldText))
	}
}

// A folder where an artifact goes is an error, and is left where it was
// with what it holds: replacing the file must not move it out of the way.
func TestArtifactOverAFolderIsAnError(t *testing.T) {
	dir := project(t, map[string]string{"models/a.sql": "select 1 as id\n"})
	keep := filepath.Join(dir, "target", "manifest.json", "keep.txt")
	if err := os.MkdirAll(filepath.Dir(keep), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := kiln(t, dir, nil, "parse")
	if r.code == 0 || !strings.Contains(r.output(), "writing artifacts") {
		t.Errorf("exit %d, want a failure writing artifacts:\n%s", r.code, r.output())
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "mine" {
		t.Errorf("the folder at target/manifest.json lost its file: %q %v", b, err)
	}
}
