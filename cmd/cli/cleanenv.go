package cli

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"

	ucli "github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/dialect"
)

// cleanEnvCommand drops what the target's nodes build: for the per-pull-
// request environments of CI.
func cleanEnvCommand(c *ucli.Context, e *env_) error {
	s, err := load(c, e)
	if err != nil {
		return err
	}
	m := s.manifest
	wh, err := openWarehouse(c.Context, s.profile, s.projectDir)
	if err != nil {
		return err
	}
	defer wh.Close()
	type drop struct {
		rel  dialect.Relation
		kind dialect.Kind
	}
	var drops []drop
	schemas := map[[2]string]bool{}
	for _, n := range m.All() {
		if n.Relation == nil || n.ResourceType == compiler.Source || n.ResourceType == compiler.Exposure || !n.Executable() {
			continue
		}
		schemas[[2]string{n.Relation.Database, n.Relation.Schema}] = true
		kind, err := wh.RelationKind(c.Context, *n.Relation)
		if err != nil {
			return &exitError{code: exitFailed, msg: "error: " + err.Error()}
		}
		if kind != dialect.KindNone {
			drops = append(drops, drop{*n.Relation, kind})
		}
	}
	// Kiln's own table of incremental high-water marks goes with the
	// nodes: it would keep a schema from being dropped.
	for k := range schemas {
		marks := dialect.WatermarksRelation(dialect.Relation{Database: k[0], Schema: k[1]})
		kind, err := wh.RelationKind(c.Context, marks)
		if err != nil {
			return &exitError{code: exitFailed, msg: "error: " + err.Error()}
		}
		if kind == dialect.KindTable {
			drops = append(drops, drop{marks, kind})
		}
	}
	var schemaList [][2]string
	for k := range schemas {
		// DuckDB's main schema always exists and cannot be dropped.
		if m.Dialect.Name() == "duckdb" && strings.EqualFold(k[1], "main") {
			continue
		}
		schemaList = append(schemaList, k)
	}
	sort.Slice(schemaList, func(i, j int) bool {
		return schemaList[i][0]+"."+schemaList[i][1] < schemaList[j][0]+"."+schemaList[j][1]
	})
	if len(drops) == 0 && len(schemaList) == 0 {
		fmt.Fprintf(e.stdout, "Nothing to drop in target '%s'.\n", s.profile.Target.Name)
		return nil
	}
	fmt.Fprintf(e.stdout, "Target '%s' (%s): will drop\n", s.profile.Target.Name, s.profile.Target.Type)
	for _, d := range drops {
		fmt.Fprintf(e.stdout, "  %s %s\n", d.kind, m.Dialect.Render(d.rel))
	}
	for _, k := range schemaList {
		fmt.Fprintf(e.stdout, "  schema %s (if empty)\n", m.Dialect.Render(dialect.Relation{Database: k[0], Schema: k[1]}))
	}
	if !c.Bool("yes") {
		f, isFile := c.App.Reader.(*os.File)
		if !isFile || !term.IsTerminal(int(f.Fd())) {
			return invalid("error: clean-env asks before dropping, and there is no terminal to ask on\n  hint: pass --yes to drop without asking")
		}
		fmt.Fprint(e.stdout, "Drop these? [y/N] ")
		line, _ := bufio.NewReader(f).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Fprintln(e.stdout, "Nothing dropped.")
			return nil
		}
	}
	for _, d := range drops {
		if _, err := wh.Exec(c.Context, m.Dialect.Drop(d.rel, d.kind)); err != nil {
			return &exitError{code: exitFailed, msg: "error: dropping " + m.Dialect.Render(d.rel) + ": " + err.Error()}
		}
		fmt.Fprintf(e.stdout, "Dropped %s %s\n", d.kind, m.Dialect.Render(d.rel))
	}
	for _, k := range schemaList {
		name := m.Dialect.Render(dialect.Relation{Database: k[0], Schema: k[1]})
		if _, err := wh.Exec(c.Context, dialect.DropSchema(m.Dialect, k[0], k[1])); err != nil {
			fmt.Fprintf(e.stdout, "Kept schema %s: %v\n", name, firstLine(err.Error()))
			continue
		}
		fmt.Fprintf(e.stdout, "Dropped schema %s\n", name)
	}
	return nil
}
