//go:build !unix

package compiler

import "io/fs"

// ReadFile is os.DirFS's.
func (d dirFS) ReadFile(name string) ([]byte, error) {
	return d.FS.(fs.ReadFileFS).ReadFile(name)
}
