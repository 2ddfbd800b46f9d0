//go:build unix

package compiler

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ReadFile reads name with open, fstat, read until end of file, close.
// Errors are os.DirFS's: *fs.PathError with the name as given.
func (d dirFS) ReadFile(name string) ([]byte, error) {
	if d.dir == "" || !fs.ValidPath(name) {
		return d.FS.(fs.ReadFileFS).ReadFile(name)
	}
	full := filepath.Join(d.dir, filepath.FromSlash(name))
	var fd int
	err := retryEINTR(func() (e error) {
		fd, e = syscall.Open(full, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		return e
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := retryEINTR(func() error { return syscall.Fstat(fd, &st) }); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	if st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
		return nil, &fs.PathError{Op: "read", Path: name, Err: syscall.EISDIR}
	}
	// One byte more than the size, so a file read whole is seen to end
	// by the next read returning 0, as os.ReadFile does it.
	b := make([]byte, 0, max(int(st.Size)+1, 512))
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		var n int
		err := retryEINTR(func() (e error) {
			n, e = syscall.Read(fd, b[len(b):cap(b)])
			return e
		})
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: name, Err: err}
		}
		if n <= 0 {
			return b, nil
		}
		b = b[:len(b)+n]
	}
}

// retryEINTR calls fn again while it fails with EINTR, as package os does.
func retryEINTR(fn func() error) error {
	for {
		if err := fn(); err != syscall.EINTR {
			return err
		}
	}
}

var _ fs.ReadFileFS = dirFS{FS: os.DirFS(".")}
