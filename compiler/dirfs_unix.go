//go:build unix

package compiler

import (
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// ReadFile reads name with open, read until end of file, close: four
// system calls for a file under readBufSize (a model's SQL or a property
// file), read into a pooled buffer and copied out at its size. Errors are
// os.DirFS's: *fs.PathError with the name as given (a directory opens,
// and its read fails with EISDIR, as in os.ReadFile).
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
	pooled := readBufs.Get().(*[]byte)
	defer readBufs.Put(pooled)
	b := (*pooled)[:0]
	for {
		if len(b) == cap(b) { // past the pooled buffer: grow a copy
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
			break
		}
		b = b[:len(b)+n]
	}
	if cap(b) > readBufSize { // grown: already the file's own
		return b, nil
	}
	return append(make([]byte, 0, len(b)), b...), nil
}

// readBufSize is the pooled read buffer's size: files up to it are read
// without asking for their size first (fstat, a fifth system call).
const readBufSize = 64 << 10

var readBufs = sync.Pool{New: func() any {
	b := make([]byte, readBufSize)
	return &b
}}

// retryEINTR calls fn again while it fails with EINTR, as package os does.
func retryEINTR(fn func() error) error {
	for {
		if err := fn(); err != syscall.EINTR {
			return err
		}
	}
}

var _ fs.ReadFileFS = dirFS{FS: os.DirFS(".")}
