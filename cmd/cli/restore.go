package cli

import (
	"bufio"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	ucli "github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/runner"
)

// invocationID names this process's run in run_results.json, so
// `kiln restore --before-run ID` can find it.
var invocationID = sync.OnceValue(func() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
})

func restoreCommand(e *env_) *ucli.Command {
	return &ucli.Command{
		Name: "restore", Usage: "bring back an earlier version of a model's table", ArgsUsage: "MODEL",
		Description: `On Snowflake, clones the table as it was at a time (Time Travel):
   kiln restore fct_sales --at '2024-05-01 06:00:00'
   kiln restore fct_sales --before-run 3f1c...   (an invocation_id from run_results.json)
On DuckDB, swaps in the version the last build replaced, which Kiln keeps as
<table>__kiln_prev for models configured with keep_previous_version: true.
Asks for confirmation; --yes skips it (required when there is no terminal).`,
		Flags: join(projectFlags(), []ucli.Flag{
			&ucli.StringFlag{Name: "at", Usage: "the time to restore to (YYYY-MM-DD HH:MM:SS, UTC unless an offset is given)"},
			&ucli.StringFlag{Name: "before-run", Usage: "restore to just before the run with this invocation_id (from target/run_results.json)"},
			&ucli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"},
		}),
		Action: func(c *ucli.Context) error { return restore(c, e) },
	}
}

func restore(c *ucli.Context, e *env_) error {
	// urfave/cli stops at the first argument; `restore MODEL --at T` is
	// the natural order, so parse again with the model after the flags.
	if a := c.Args().Slice(); len(a) > 1 && !strings.HasPrefix(a[0], "-") && c.App.Metadata["restore-reordered"] == nil {
		c.App.Metadata["restore-reordered"] = true
		return c.App.RunContext(c.Context, append(append([]string{c.App.Name, "restore"}, a[1:]...), "--", a[0]))
	}
	if c.NArg() != 1 {
		return invalid("error: kiln restore needs one model name\n  hint: kiln restore MODEL --at TIMESTAMP (or --before-run RUN_ID)")
	}
	if c.String("at") != "" && c.String("before-run") != "" {
		return invalid("error: give --at or --before-run, not both")
	}
	s, err := load(c, e)
	if err != nil {
		return err
	}
	name := c.Args().First()
	var node *compiler.Node
	for _, n := range s.manifest.Nodes {
		if n.ResourceType == compiler.Model && n.Name == name {
			node = n
		}
	}
	if node == nil || node.Relation == nil {
		return invalid("error: no model named '%s'", name)
	}
	if m := node.Materialized(); m != "table" && m != "incremental" {
		return invalid("error: model '%s' is a %s; only tables can be restored (a view is rebuilt by kiln run)", name, m)
	}
	at, err := restoreTime(c, s)
	if err != nil {
		return err
	}
	snowflake := s.profile.Target.Type == "snowflake"
	if snowflake && at == nil {
		return invalid("error: a Snowflake restore needs --at TIMESTAMP or --before-run RUN_ID")
	}
	if !snowflake && at != nil && c.String("before-run") == "" {
		return invalid("error: DuckDB keeps one previous version, not a history: --at works on Snowflake only\n  hint: run kiln restore %s without --at to swap in the version the last build replaced", name)
	}
	what := fmt.Sprintf("Restore %s to the version the last build replaced (%s__kiln_prev)", node.RelationName, node.Relation.Identifier)
	if at != nil && snowflake {
		what = fmt.Sprintf("Replace %s with its clone as of %s", node.RelationName, at.UTC().Format(time.RFC3339))
	}
	if !c.Bool("yes") {
		f, ok := c.App.Reader.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return invalid("error: %s needs confirmation, and there is no terminal to ask on\n  hint: pass --yes to restore without asking", strings.ToLower(what[:1])+what[1:])
		}
		fmt.Fprintf(e.stdout, "%s? [y/N] ", what)
		line, _ := bufio.NewReader(f).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			return &exitError{code: exitFailed, msg: "kiln: restore not confirmed; nothing changed"}
		}
	}
	wh, err := openWarehouse(c.Context, s.profile, s.projectDir)
	if err != nil {
		return err
	}
	defer wh.Close()
	if _, err := runner.Restore(c.Context, wh, *node.Relation, at); err != nil {
		return &exitError{code: exitFailed, msg: "error: restore " + node.RelationName + ": " + masker(s.profile.Secrets).mask(err.Error())}
	}
	s.out.info("restored", "%s: done", what)
	return nil
}

// restoreTime is --at, or the start of the run --before-run names.
func restoreTime(c *ucli.Context, s *session) (*time.Time, error) {
	if v := c.String("at"); v != "" {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999 -0700", time.DateTime, "2006-01-02T15:04:05", time.DateOnly} {
			if t, err := time.Parse(layout, v); err == nil {
				return &t, nil
			}
		}
		return nil, invalid("error: --at %q is not a timestamp\n  hint: write 'YYYY-MM-DD HH:MM:SS' (UTC) or RFC 3339", v)
	}
	id := c.String("before-run")
	if id == "" {
		return nil, nil
	}
	b, err := os.ReadFile(filepath.Join(s.targetDir, "run_results.json"))
	if err != nil {
		return nil, invalid("error: --before-run: no target/run_results.json to look up run %s", id)
	}
	var rr struct {
		Metadata struct {
			InvocationID string `json:"invocation_id"`
		} `json:"metadata"`
		Results []struct {
			StartedAt time.Time `json:"started_at"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &rr); err != nil {
		return nil, invalid("error: --before-run: target/run_results.json: %v", err)
	}
	if rr.Metadata.InvocationID != id {
		return nil, invalid("error: --before-run: run %s is not the last run (target/run_results.json is run %s)\n  hint: pass --at with the run's start time instead", id, rr.Metadata.InvocationID)
	}
	var first time.Time
	for _, r := range rr.Results {
		if !r.StartedAt.IsZero() && (first.IsZero() || r.StartedAt.Before(first)) {
			first = r.StartedAt
		}
	}
	if first.IsZero() {
		return nil, invalid("error: --before-run: run %s ran nothing", id)
	}
	t := first.Add(-time.Millisecond)
	return &t, nil
}
