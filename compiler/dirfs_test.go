package compiler

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// DirFS reads what os.DirFS reads and fails as it fails.
func TestDirFSMatchesOSDirFS(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("select 1 -- padding\n"), 50_000) // 1 MB: several reads
	files := map[string][]byte{
		"empty.sql":            {},
		"small.sql":            []byte("select 1"),
		"models/big.sql":       big,
		"models/sub/x.yml":     []byte("version: 2\n"),
		"models/sub/odd name":  []byte("x"),
		"models/sub/.hidden.m": []byte("h"),
		"models/pool.sql":      big[:readBufSize], // fills the pooled buffer exactly
		"models/pool1.sql":     big[:readBufSize+1],
	}
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("small.sql", filepath.Join(dir, "link.sql")); err != nil {
		t.Fatal(err)
	}
	want, got := os.DirFS(dir), DirFS(dir)
	names := []string{"empty.sql", "small.sql", "models/big.sql", "models/sub/x.yml", "models/sub/odd name",
		"models/sub/.hidden.m", "models/pool.sql", "models/pool1.sql", "link.sql", "missing.sql", "models", "models/../small.sql", "/small.sql", ""}
	for _, name := range names {
		wb, werr := fs.ReadFile(want, name)
		gb, gerr := fs.ReadFile(got, name)
		if !bytes.Equal(wb, gb) {
			t.Errorf("%q: read %d bytes, os.DirFS %d", name, len(gb), len(wb))
		}
		if (werr == nil) != (gerr == nil) {
			t.Errorf("%q: error %v, os.DirFS %v", name, gerr, werr)
			continue
		}
		if werr != nil && errors.Is(werr, fs.ErrNotExist) != errors.Is(gerr, fs.ErrNotExist) {
			t.Errorf("%q: error %v, os.DirFS %v", name, gerr, werr)
		}
	}
	if _, err := fs.ReadFile(got, "missing.sql"); err == nil || err.Error() != "open missing.sql: no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
	if _, err := fs.ReadFile(got, "models"); err == nil || err.Error() != "read models: is a directory" {
		t.Errorf("directory: %v", err)
	}
	// A returned file is its own: reading another does not change it.
	first, _ := fs.ReadFile(got, "small.sql")
	if _, err := fs.ReadFile(got, "models/sub/x.yml"); err != nil || string(first) != "select 1" {
		t.Errorf("first file changed to %q (%v)", first, err)
	}
	var walked []string
	if err := fs.WalkDir(got, ".", func(p string, d fs.DirEntry, err error) error {
		walked = append(walked, p)
		return err
	}); err != nil || len(walked) != 12 {
		t.Errorf("walk: %v %v", walked, err)
	}
}
