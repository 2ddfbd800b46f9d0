package compiler

import (
	"io/fs"
	"os"
)

// DirFS is os.DirFS(dir) with a faster ReadFile where the platform allows
// (dirfs_unix.go). A project of 100,000 models is 100,000 file reads:
// os.ReadFile spends ten system calls on each (the file is registered
// with the poller, which refuses regular files, and its flags are read
// and set), where four do (dirfs_unix.go).
func DirFS(dir string) fs.FS {
	return dirFS{FS: os.DirFS(dir), dir: dir}
}

type dirFS struct {
	fs.FS
	dir string
}

// Stat and ReadDir pass through, so fs.Stat and fs.WalkDir keep os.DirFS's
// fast paths.
func (d dirFS) Stat(name string) (fs.FileInfo, error) { return fs.Stat(d.FS, name) }

func (d dirFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(d.FS, name) }
