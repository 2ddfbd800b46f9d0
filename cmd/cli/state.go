package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/dialect"
	"github.com/kiln-build/kiln/compiler/selector"
	"github.com/kiln-build/kiln/runner"
)

func flagState() *ucli.StringFlag {
	return &ucli.StringFlag{Name: "state", Usage: "folder with the artifacts of an earlier run (manifest.json, run_results.json, sources.json) for state:, result: and source_status: selectors and --defer", EnvVars: []string{"KILN_STATE", "DBT_STATE"}}
}

func flagDefer() *ucli.BoolFlag {
	return &ucli.BoolFlag{Name: "defer", Usage: "read unselected parents that are not built in this target from the --state manifest's relations"}
}

func flagJUnit() *ucli.StringFlag {
	return &ucli.StringFlag{Name: "junit-xml", Usage: "write the results as JUnit XML to this file"}
}

// stateAlias is the catalog name the state's DuckDB file is attached as.
const stateAlias = "kiln_state"

// loadState reads --state DIR before this run overwrites anything.
func (s *session) loadState(c *ucli.Context) error {
	dir := c.String("state")
	if dir == "" {
		if c.Bool("defer") {
			return invalid("error: --defer needs --state DIR\n  hint: pass the target folder of a production run, e.g. --defer --state prod-artifacts/")
		}
		return nil
	}
	st, err := compiler.LoadState(os.DirFS(dir), os.DirFS(s.targetDir))
	if err != nil {
		return invalid("error: --state %s: %v\n  hint: point --state at the target/ folder (or a copy) of an earlier run", dir, err)
	}
	s.state = st
	return nil
}

// stateChecker is the session's state for the selector (a nil interface
// without --state, so state: selectors report that --state is missing).
func (s *session) stateChecker() selector.StateChecker {
	if s.state == nil {
		return nil
	}
	return s.state.Bind(s.manifest)
}

// recordTarget notes in the manifest where a DuckDB target builds, so a
// later --defer run can attach that file.
func (s *session) recordTarget(m *compiler.Manifest) {
	if s.profile.Target.Type != "duckdb" || s.profile.DuckDB.Path == "" || s.profile.DuckDB.Path == ":memory:" {
		return
	}
	if abs, err := filepath.Abs(s.profile.DuckDB.Path); err == nil {
		m.Metadata.DuckDBPath = abs
	}
}

// applyDefer rewrites the selected nodes' SQL so that the unselected
// parents missing from this target are read from the state's relations. On
// DuckDB the state's database file is attached read-only.
func (s *session) applyDefer(c *ucli.Context, wh runner.Warehouse, sel map[string]bool) error {
	if !c.Bool("defer") || s.state == nil {
		return nil
	}
	ctx := c.Context
	m := s.manifest
	to := map[string]dialect.Relation{}
	var deferred []string
	attach := ""
	if m.Metadata.AdapterType == "duckdb" {
		prod := s.state.Manifest.Metadata.DuckDBPath
		cur := ""
		if d, ok := wh.(*runner.DuckDB); ok {
			cur, _ = filepath.Abs(d.Path())
		}
		if prod == "" {
			return invalid("error: --defer: the state manifest does not record its DuckDB file\n  hint: rebuild the state with this version of kiln")
		}
		if prod != cur {
			attach = prod
		}
	}
	for _, id := range compiler.DeferCandidates(m, sel) {
		n := m.Nodes[id]
		kind, err := wh.RelationKind(ctx, *n.Relation)
		if err != nil {
			return &exitError{code: exitFailed, msg: "error: --defer: " + err.Error()}
		}
		if kind != dialect.KindNone {
			continue
		}
		old, ok := s.state.Manifest.Nodes[id]
		if !ok || old.Relation == nil {
			continue
		}
		rel := *old.Relation
		if attach != "" {
			rel.Database = stateAlias
		}
		to[id] = rel
		deferred = append(deferred, id)
	}
	if len(to) == 0 {
		return nil
	}
	if attach != "" {
		q := fmt.Sprintf("attach if not exists %s as %s (read_only)", m.Dialect.Literal(attach), m.Dialect.Quote(stateAlias))
		if _, err := wh.Exec(ctx, q); err != nil {
			return &exitError{code: exitFailed, msg: fmt.Sprintf("error: --defer: cannot attach the state's database %s: %v", attach, err)}
		}
	}
	compiler.Defer(m, sel, to)
	sort.Strings(deferred)
	names := make([]string, len(deferred))
	for i, id := range deferred {
		names[i] = m.Nodes[id].Name + " -> " + m.Dialect.Render(to[id])
	}
	s.out.info("deferred", "Deferred %d relation%s to the state: %s", len(names), plural(len(names)), strings.Join(names, ", "))
	if err := writeCompiled(s.targetDir, m, sel, s.profile.Secrets); err != nil {
		return &exitError{code: exitFailed, msg: "error: writing compiled SQL: " + err.Error()}
	}
	return nil
}
