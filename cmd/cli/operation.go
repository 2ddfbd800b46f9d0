package cli

import (
	"context"
	"fmt"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/runner"
)

// operationCommand is `kiln run-operation MACRO --args '{...}'`: the macro
// is rendered with the arguments (its run_query() calls executed against
// the target) and the SQL it produced is executed.
func operationCommand(e *env_) *ucli.Command {
	return &ucli.Command{
		Name: "run-operation", Usage: "render a macro and execute the SQL it produces", ArgsUsage: "MACRO",
		Description: "Examples:\n   kiln run-operation grant_select --args '{role: reporter}'\n   kiln run-operation vacuum_tables",
		Flags:       join(projectFlags(), []ucli.Flag{&ucli.StringFlag{Name: "args", Usage: "the macro's keyword arguments as YAML or JSON"}}),
		Action:      func(c *ucli.Context) error { return runOperation(c, e) },
	}
}

func runOperation(c *ucli.Context, e *env_) error {
	names, err := interspersedFlags(c)
	if err != nil {
		return err
	}
	rawArgs := c.String("args")
	if len(names) != 1 {
		return invalid("error: run-operation takes one macro name\n  hint: kiln run-operation my_macro --args '{x: 1}'")
	}
	name := names[0]
	args, err := parseVars(rawArgs)
	if err != nil {
		return invalid("error: --args: %s", strings.TrimPrefix(err.Error(), "--vars "))
	}
	s, err := load(c, e)
	if err != nil {
		return err
	}
	wh, err := openWarehouse(c.Context, s.profile, s.projectDir)
	if err != nil {
		return err
	}
	defer wh.Close()
	opts := s.opts
	opts.Query = func(ctx context.Context, sql string) ([][]any, []string, error) {
		return runner.QueryColumns(ctx, wh, sql)
	}
	sql, ds := compiler.Operation(c.Context, opts, name, args)
	if ds.HasErrors() {
		return s.fail(ds, s.manifest)
	}
	if sql != "" {
		if _, err := wh.Exec(c.Context, sql); err != nil {
			return &exitError{code: exitFailed, msg: fmt.Sprintf("error: run-operation %s: %v", name, err)}
		}
	}
	s.out.info("operation", "Ran operation %s", name)
	return nil
}

// templateLog prints log(msg, info=True) of templates; other log() calls
// go nowhere (dbt writes them to its log file only).
func (s *session) templateLog(msg string, info bool) {
	if info {
		s.out.info("log", "%s", msg)
	}
}

// runHooks executes on-run-start or on-run-end hooks; a failing hook
// fails the command.
func (s *session) runHooks(c *ucli.Context, wh runner.Warehouse, which string, stmts []string) error {
	if len(stmts) == 0 {
		return nil
	}
	if err := runner.RunHooks(c.Context, wh, stmts); err != nil {
		return &exitError{code: exitFailed, msg: fmt.Sprintf("error: %s: %v", which, err)}
	}
	s.out.info("hooks", "Ran %d %s hook%s", len(stmts), which, plural(len(stmts)))
	return nil
}

// renderQueries compiles the project again with a connection when a
// selected model called run_query() or statement(): dbt runs those queries
// only for the nodes it executes, so the first compile ran none.
func (s *session) renderQueries(c *ucli.Context, sel map[string]bool) error {
	only := map[string]bool{}
	for _, id := range s.manifest.QueryNodes {
		if sel[id] {
			only[id] = true
		}
	}
	if len(only) == 0 {
		return nil
	}
	wh, err := openWarehouse(c.Context, s.profile, s.projectDir)
	if err != nil {
		return err
	}
	defer wh.Close()
	opts := s.opts
	opts.QueryOnly = only
	opts.Query = func(ctx context.Context, sql string) ([][]any, []string, error) {
		return runner.QueryColumns(ctx, wh, sql)
	}
	m, ds := compiler.Compile(c.Context, opts)
	if ds.HasErrors() {
		return s.fail(ds, m)
	}
	s.recordTarget(m)
	s.manifest = m
	if err := writeManifest(s.targetDir, m, s.profile.Secrets); err != nil {
		return &exitError{code: exitFailed, msg: "error: writing artifacts: " + err.Error()}
	}
	return nil
}

// interspersedFlags applies the flags written after the macro name (urfave/cli
// stops parsing at the first argument; dbt's order is MACRO --args ...)
// and returns the other arguments.
func interspersedFlags(c *ucli.Context) ([]string, error) {
	var names []string
	rest := c.Args().Slice()
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			names = append(names, a)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		var flag ucli.Flag
		for _, f := range c.Command.Flags {
			for _, n := range f.Names() {
				if n == name {
					flag = f
				}
			}
		}
		if flag == nil {
			return nil, invalid("error: unknown flag %s\n  hint: run 'kiln run-operation --help' for usage", a)
		}
		if _, isBool := flag.(*ucli.BoolFlag); isBool && !hasVal {
			val, hasVal = "true", true
		}
		if !hasVal {
			if i+1 == len(rest) {
				return nil, invalid("error: flag %s needs a value", a)
			}
			val = rest[i+1]
			i++
		}
		if err := c.Set(name, val); err != nil {
			return nil, invalid("error: %s: %v", a, err)
		}
	}
	return names, nil
}
