package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

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
		wh, err := openDuckDB(ctx, runner.DuckDBConfig{
			Path: p.DuckDB.Path, Threads: p.Target.Threads, Settings: settings, Extensions: p.DuckDB.Extensions,
		})
		if err != nil {
			var inUse *runner.DatabaseInUseError
			if errors.As(err, &inUse) {
				return nil, &exitError{code: exitInvalid, msg: "error: " + err.Error() + "\n  hint: wait for the other kiln (or DuckDB client) to finish, pass --wait to wait for it, or use another database path"}
			}
			if ctx.Err() != nil {
				return nil, &exitError{code: exitSignal, msg: "kiln: interrupted: " + err.Error()}
			}
			return nil, &exitError{code: exitFailed, msg: "error: cannot open DuckDB database: " + err.Error()}
		}
		return wh, nil
	case "snowflake":
		o := p.Snowflake
		if o == nil {
			return nil, &exitError{code: exitInvalid, msg: fmt.Sprintf("error: target '%s' has no Snowflake settings", p.Target.Name)}
		}
		loginTimeout := o.LoginTimeout
		if loginTimeout == 0 {
			loginTimeout = o.ConnectTimeout
		}
		retries := o.Retries
		if retries == 0 {
			retries = o.ConnectRetries
		}
		wh, err := runner.OpenSnowflake(ctx, runner.SnowflakeConfig{
			Account: o.Account, User: o.User, Password: o.Password,
			Authenticator: o.Authenticator, PrivateKeyPath: o.PrivateKeyPath, PrivateKey: o.PrivateKey,
			PrivateKeyPassphrase: o.PrivateKeyPassphrase, Token: o.Token,
			OAuthClientID: o.OAuthClientID, OAuthClientSecret: o.OAuthClientSecret,
			Role: o.Role, Warehouse: o.Warehouse, Database: o.Database, Schema: o.Schema,
			QueryTag: o.QueryTag, Threads: p.Target.Threads,
			LoginTimeout: time.Duration(loginTimeout) * time.Second,
			QueryTimeout: time.Duration(o.QueryTimeout) * time.Second,
			Retries:      retries, KeepAlive: o.ClientSessionKeepAlive,
			Host: o.Host, Port: o.Port, Protocol: o.Protocol, InsecureMode: o.InsecureMode,
		})
		if err != nil {
			// The runner scrubs its errors; mask the profile's secrets once
			// more, whatever the driver said.
			msg := err.Error()
			for _, s := range p.Secrets {
				if len(s) >= 4 {
					msg = strings.ReplaceAll(msg, s, "****")
				}
			}
			return nil, &exitError{code: exitFailed, msg: "error: cannot connect to Snowflake target '" + p.Target.Name + "': " + msg}
		}
		return wh, nil
	}
	return nil, &exitError{code: exitInvalid, msg: fmt.Sprintf("error: unknown adapter type %q", p.Target.Type)}
}
