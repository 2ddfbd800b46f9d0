package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/runner"
)

// openWarehouse connects to the profile's target.
func openWarehouse(ctx context.Context, p *compiler.Profile) (runner.Warehouse, error) {
	switch p.Target.Type {
	case "duckdb":
		wh, err := runner.OpenDuckDB(ctx, runner.DuckDBConfig{
			Path: p.DuckDB.Path, Threads: p.Target.Threads, Settings: p.DuckDB.Settings, Extensions: p.DuckDB.Extensions,
		})
		if err != nil {
			var inUse *runner.DatabaseInUseError
			if errors.As(err, &inUse) {
				return nil, &exitError{code: exitInvalid, msg: "error: " + err.Error() + "\n  hint: wait for the other kiln (or DuckDB client) to finish, or use another database path"}
			}
			return nil, &exitError{code: exitFailed, msg: "error: cannot open DuckDB database: " + err.Error()}
		}
		return wh, nil
	case "snowflake":
		return nil, &exitError{code: exitInvalid, msg: fmt.Sprintf("error: target '%s' is a Snowflake target; running on Snowflake is not available in this build yet\n  hint: use a duckdb target (kiln build --target dev)", p.Target.Name)}
	}
	return nil, &exitError{code: exitInvalid, msg: fmt.Sprintf("error: unknown adapter type %q", p.Target.Type)}
}
