//go:build !linux

package cli

import "os"

// replaceFile moves the finished tmp over path, atomically (see
// replace_linux.go for why Linux exchanges the names instead).
func replaceFile(tmp, path string) error { return os.Rename(tmp, path) }
