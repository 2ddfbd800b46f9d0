package cli

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// replaceFile moves the finished tmp over path, atomically: readers see
// the old file or the new one, whole.
//
// Renamed over an existing file, ext4 (auto_da_alloc, its default) first
// allocates and starts writing out every block of the new one, in the
// rename: 0.3-0.85 s for a 430 MB manifest.json. Exchanging the two
// names (RENAME_EXCHANGE) is as atomic and skips that; the old file,
// now at tmp, is then removed. Where the exchange is refused it is a
// plain rename: no old file (ENOENT), a file system without the flag
// (EINVAL), a kernel or sandbox without renameat2 (ENOSYS; container
// seccomp profiles answer EPERM for system calls they do not know).
func replaceFile(tmp, path string) error {
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, path, unix.RENAME_EXCHANGE)
	if err == nil {
		// The new file is in place; a failed removal leaves only the
		// old one at tmp, which the next write truncates.
		os.Remove(tmp)
		return nil
	}
	if !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EPERM) {
		return &os.LinkError{Op: "rename", Old: tmp, New: path, Err: err}
	}
	return os.Rename(tmp, path)
}
