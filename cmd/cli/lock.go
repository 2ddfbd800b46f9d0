package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/kiln-build/kiln/runner"
)

func flagWait() *ucli.BoolFlag {
	return &ucli.BoolFlag{Name: "wait", Usage: "when another process holds the DuckDB file, wait for it instead of failing (Ctrl-C stops waiting)"}
}

// waitKey marks a command context whose warehouse open waits for a DuckDB
// file locked by another process (--wait).
type waitKey struct{}

// waitNotice is where openDuckDB says once that it is waiting.
type waitNotice func(msg string)

func withWait(ctx context.Context, notice waitNotice) context.Context {
	return context.WithValue(ctx, waitKey{}, notice)
}

// openDuckDB opens the database; with --wait, a lock held by another
// process is retried with backoff until it frees or ctx is cancelled.
func openDuckDB(ctx context.Context, cfg runner.DuckDBConfig) (*runner.DuckDB, error) {
	notice, wait := ctx.Value(waitKey{}).(waitNotice)
	delay := 50 * time.Millisecond
	said := false
	for {
		wh, err := runner.OpenDuckDB(ctx, cfg)
		var inUse *runner.DatabaseInUseError
		if err == nil || !wait || !errors.As(err, &inUse) {
			return wh, err
		}
		if !said && notice != nil {
			notice(fmt.Sprintf("Waiting for database %s: it is in use by another process", cfg.Path))
			said = true
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("stopped waiting for database %s: %w", cfg.Path, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(delay*2, 2*time.Second)
	}
}
