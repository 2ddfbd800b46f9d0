package runner

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// DatabaseInUseError is returned when a DuckDB file is locked by another
// process. The CLI prints it and exits with ExitCode.
type DatabaseInUseError struct {
	Path    string
	PID     int    // 0 when DuckDB did not say
	Program string // the holder's executable, when DuckDB said
	Err     error
}

func (e *DatabaseInUseError) Error() string {
	var who []string
	if e.PID != 0 {
		who = append(who, "pid "+strconv.Itoa(e.PID))
	}
	if e.Program != "" {
		who = append(who, e.Program)
	}
	msg := "database " + e.Path + " is in use by another process"
	if len(who) > 0 {
		msg += " (" + strings.Join(who, ", ") + ")"
	}
	return msg + "; close it (or point the profile at another path) and retry"
}

func (e *DatabaseInUseError) Unwrap() error { return e.Err }

// ExitCode is 2: the command cannot start, as for an invalid project.
func (e *DatabaseInUseError) ExitCode() int { return 2 }

// DuckDB says: Could not set lock on file "p": Conflicting lock is held in
// /path/prog (PID 123) by user u.
var (
	lockRE    = regexp.MustCompile(`Could not set lock on file|Conflicting lock is held`)
	lockPIDRE = regexp.MustCompile(`held in (.*?) \(PID (\d+)\)`)
)

// lockError turns DuckDB's lock-conflict error into a DatabaseInUseError;
// other errors pass through.
func lockError(path string, err error) error {
	if err == nil || !lockRE.MatchString(err.Error()) {
		return err
	}
	e := &DatabaseInUseError{Path: path, Err: err}
	if m := lockPIDRE.FindStringSubmatch(err.Error()); m != nil {
		e.Program = m[1]
		e.PID, _ = strconv.Atoi(m[2])
	}
	return e
}

// QueryError is a statement the warehouse rejected, with its SQL.
type QueryError struct {
	SQL string
	Err error
}

func (e *QueryError) Error() string { return e.Err.Error() }
func (e *QueryError) Unwrap() error { return e.Err }

// queryError wraps err with the statement; when ctx was cancelled the
// warehouse's "interrupted" message is replaced by the context's error, so
// callers can test errors.Is(err, context.Canceled).
func queryError(ctxErr error, sql string, err error) error {
	if err == nil {
		return nil
	}
	if ctxErr != nil && !errors.Is(err, ctxErr) {
		err = fmt.Errorf("%w (%v)", ctxErr, err)
	}
	return &QueryError{SQL: sql, Err: err}
}
