package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/runner"
)

// openWarehouse connects to the profile's target.
// Relative file paths in SQL (sources with external_location) resolve
// against projectDir.
func openWarehouse(ctx context.Context, p *compiler.Profile, projectDir string) (runner.Warehouse, error) {
	switch p.Target.Type {
	case "duckdb":
		settings := map[string]string{}
		for k, v := range p.DuckDB.Settings {
			settings[k] = v
		}
		if _, ok := settings["file_search_path"]; !ok {
			if abs, err := filepath.Abs(projectDir); err == nil {
				settings["file_search_path"] = abs
			}
		}
		wh, err := runner.OpenDuckDB(ctx, runner.DuckDBConfig{
			Path: p.DuckDB.Path, Threads: p.Target.Threads, Settings: settings, Extensions: p.DuckDB.Extensions,
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
