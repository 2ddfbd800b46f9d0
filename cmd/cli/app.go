// Package cli is Kiln's command line: it joins the compiler (project ->
// manifest) and the runner (manifest -> warehouse), and is the only package
// that does both.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/kiln-build/kiln/compiler"
)

// Exit codes, as PRODUCT.md specifies.
const (
	exitOK      = 0
	exitFailed  = 1 // a node or test failed
	exitInvalid = 2 // the project or the command line is invalid
	exitSignal  = 130
)

// exitError carries an exit code out of a command action.
type exitError struct {
	code int
	msg  string // already printed when empty
}

func (e *exitError) Error() string { return e.msg }

// Run runs the kiln command line with args (args[0] is the program name)
// and returns the process exit code. Tests call it in-process.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return RunEnv(ctx, args, stdin, stdout, stderr, os.LookupEnv)
}

// RunEnv is Run with an explicit environment lookup.
func RunEnv(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) (string, bool)) int {
	// Every secret read is masked in all that is printed (cmd/cli/secrets.go).
	guard := &secretGuard{}
	env, stdout, stderr = guard.lookup(env), guard.writer(stdout), guard.writer(stderr)
	app := newApp(stdin, stdout, stderr, env)
	app.Metadata = map[string]any{"secrets": guard}
	err := app.RunContext(ctx, args)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, ee.msg)
		}
		return ee.code
	}
	// Anything else comes from flag parsing or an unknown command.
	fmt.Fprintf(stderr, "error: %v\n  hint: run 'kiln --help' or 'kiln <command> --help' for usage\n", err)
	return exitInvalid
}

func newApp(stdin io.Reader, stdout, stderr io.Writer, env func(string) (string, bool)) *ucli.App {
	app := &ucli.App{
		Name:    "kiln",
		Usage:   "compile and run dbt-style SQL projects on DuckDB and Snowflake",
		Version: compiler.Version,
		Description: `Kiln reads a project of templated SQL models and YAML schemas, builds their
dependency graph, compiles each model into the SQL its materialization needs and
runs them in dependency order, then runs data tests.

Start here:
   kiln init my_project        scaffold a working project (DuckDB, a seed, two models, tests)
   cd my_project && kiln build seed, build and test everything on an embedded DuckDB file

Exit codes: 0 success, 1 a node or test failed, 2 the project or the command line is invalid.`,
		Reader:          stdin,
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: true,
		ExitErrHandler:  func(*ucli.Context, error) {},
		OnUsageError: func(c *ucli.Context, err error, isSub bool) error {
			return &exitError{code: exitInvalid, msg: fmt.Sprintf("error: %v\n  hint: run 'kiln %s --help' for usage", err, c.Command.Name)}
		},
		Suggest: true,
	}
	e := &env_{lookup: env, stdout: stdout, stderr: stderr}
	app.Commands = append(append(commands(e), opsCommands(e)...), restoreCommand(e))
	return app
}

// env_ is what every command needs from the process.
type env_ struct {
	lookup func(string) (string, bool)
	stdout io.Writer
	stderr io.Writer
}

func (e *env_) getenv(k string) string {
	v, _ := e.lookup(k)
	return v
}

func homeDir(e *env_) string {
	if h := e.getenv("HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		v = strings.TrimSpace(v)
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
