package runner

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/dialect"
)

// executeNode runs one node on a session set up with the node's session
// settings (Snowflake: snowflake_warehouse and query_tag; DuckDB has none
// and ignores them), then applies the governance its YAML declares.
func executeNode(ctx context.Context, wh Warehouse, m *compiler.Manifest, n *compiler.Node, opts Options) *Result {
	sw, ok := wh.(sessionWarehouse)
	if !ok {
		r := execute(ctx, wh, m, n, opts)
		applyGovernance(ctx, wh, n, r)
		return r
	}
	var r *Result
	err := sw.withSession(ctx, nodeSession(m, n), func(bound Warehouse) error {
		r = execute(ctx, bound, m, n, opts)
		applyGovernance(ctx, bound, n, r)
		return nil
	})
	if r == nil {
		now := opts.Now()
		msg := "node did not start"
		if err != nil {
			msg = cleanError(err)
		}
		r = &Result{UniqueID: n.UniqueID, Node: n, Status: StatusError, Message: msg, StartedAt: now, CompletedAt: now, ThreadID: "Thread-1"}
	}
	return r
}

// nodeSession reads a node's session settings from its config.
func nodeSession(m *compiler.Manifest, n *compiler.Node) SessionSettings {
	s := SessionSettings{Warehouse: n.ConfigString("snowflake_warehouse"), QueryTag: n.ConfigString("query_tag"), Node: n.Name}
	if m != nil {
		s.Project = m.Metadata.ProjectName
	}
	if s.Project == "" {
		s.Project = n.PackageName
	}
	return s
}

// governance is what a node's YAML asks of access control.
type governance struct {
	grants    map[string][]string // privilege -> roles; nil when not configured
	masking   []columnValue       // column -> masking policy
	tags      []columnTag
	rowAccess string
	rowCols   []string
}

type columnValue struct{ column, value string }

type columnTag struct{ column, tag, value string }

func governanceOf(n *compiler.Node) governance {
	var g governance
	if raw, ok := n.Config["grants"].(map[string]any); ok {
		g.grants = map[string][]string{}
		for priv, roles := range raw {
			g.grants[strings.TrimPrefix(priv, "+")] = dialect.ConfigStrings(roles)
		}
	}
	for _, c := range n.Columns {
		if p, ok := c.Meta["masking_policy"].(string); ok && strings.TrimSpace(p) != "" {
			g.masking = append(g.masking, columnValue{c.Name, p})
		}
		if tags, ok := c.Meta["tags"].(map[string]any); ok {
			names := make([]string, 0, len(tags))
			for t := range tags {
				names = append(names, t)
			}
			sort.Strings(names)
			for _, t := range names {
				g.tags = append(g.tags, columnTag{c.Name, t, fmt.Sprint(tags[t])})
			}
		}
	}
	g.rowAccess = strings.TrimSpace(n.ConfigString("row_access_policy"))
	g.rowCols = dialect.ConfigStrings(n.Config["row_access_policy_columns"])
	return g
}

// features names what g configures, for messages.
func (g governance) features() []string {
	var out []string
	if g.grants != nil {
		out = append(out, "grants")
	}
	if len(g.masking) > 0 {
		out = append(out, "masking policies")
	}
	if len(g.tags) > 0 {
		out = append(out, "column tags")
	}
	if g.rowAccess != "" {
		out = append(out, "row access policy")
	}
	return out
}

// applyGovernance applies the grants, masking policies, column tags and
// row access policy of a node that was just built. A warehouse without
// them (DuckDB) gets a "not applicable" note in the result's message,
// never silence; a failure to apply them fails the node.
func applyGovernance(ctx context.Context, wh Warehouse, n *compiler.Node, r *Result) {
	if r.Status != StatusSuccess {
		return
	}
	switch n.ResourceType {
	case compiler.Model, compiler.Seed, compiler.Snapshot:
	default:
		return
	}
	g := governanceOf(n)
	features := g.features()
	if len(features) == 0 || n.Relation == nil {
		return
	}
	d := wh.Dialect()
	gov, ok := d.(dialect.Governance)
	if !ok {
		r.Message += "; " + strings.Join(features, ", ") + ": not applicable on " + adapterTitle(d.Name()) + " (Snowflake only)"
		return
	}
	if err := govern(ctx, recorder{wh, &r.Statements}, gov, n, g); err != nil {
		r.Status = StatusError
		r.Message = "built, but applying its " + strings.Join(features, ", ") + " failed: " + cleanError(err)
	}
}

func adapterTitle(name string) string {
	switch name {
	case "duckdb":
		return "DuckDB"
	case "snowflake":
		return "Snowflake"
	}
	return name
}

func govern(ctx context.Context, x Execer, gov dialect.Governance, n *compiler.Node, g governance) error {
	rel := *n.Relation
	kind := dialect.KindTable
	if n.Materialized() == "view" {
		kind = dialect.KindView
	}
	if g.rowAccess != "" && len(g.rowCols) == 0 {
		return fmt.Errorf("row_access_policy %s needs row_access_policy_columns: the columns passed to the policy", g.rowAccess)
	}
	if g.grants != nil {
		rows, err := x.Query(ctx, gov.ShowGrants(kind, rel))
		if err != nil {
			return err
		}
		grant, revoke := dialect.GrantChanges(g.grants, currentGrants(rows))
		for _, gr := range revoke {
			if _, err := x.Exec(ctx, gov.Revoke(kind, rel, gr.Privilege, gr.Role)); err != nil {
				return err
			}
		}
		for _, gr := range grant {
			if _, err := x.Exec(ctx, gov.Grant(kind, rel, gr.Privilege, gr.Role)); err != nil {
				return err
			}
		}
	}
	for _, m := range g.masking {
		if _, err := x.Exec(ctx, gov.SetMaskingPolicy(kind, rel, m.column, m.value)); err != nil {
			return err
		}
	}
	for _, t := range g.tags {
		if _, err := x.Exec(ctx, gov.SetColumnTag(kind, rel, t.column, t.tag, t.value)); err != nil {
			return err
		}
	}
	if g.rowAccess != "" {
		rows, err := x.Query(ctx, gov.RowAccessPolicies(rel))
		if err != nil {
			return err
		}
		var drop dialect.Relation
		for _, row := range rows {
			if len(row) < 4 {
				continue
			}
			attached := dialect.Relation{Database: str(row[0]), Schema: str(row[1]), Identifier: str(row[2])}
			if samePolicy(attached, g.rowAccess) && sameColumns(str(row[3]), g.rowCols) {
				return nil // attached as configured
			}
			drop = attached
		}
		if _, err := x.Exec(ctx, gov.AddRowAccessPolicy(kind, rel, drop, g.rowAccess, g.rowCols)); err != nil {
			return err
		}
	}
	return nil
}

// currentGrants reads SHOW GRANTS rows: the privileges granted to roles,
// without OWNERSHIP (which a build never changes).
func currentGrants(rows [][]any) []dialect.Grant {
	var out []dialect.Grant
	for _, row := range rows {
		if len(row) < 6 {
			continue
		}
		priv, to, grantee := strings.ToUpper(str(row[1])), strings.ToUpper(str(row[4])), str(row[5])
		if priv == "OWNERSHIP" || to != "ROLE" || grantee == "" {
			continue
		}
		out = append(out, dialect.Grant{Privilege: priv, Role: grantee})
	}
	return out
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// samePolicy compares an attached policy (as stored) with the configured
// name, which may be qualified or not; plain names fold to upper case.
func samePolicy(attached dialect.Relation, configured string) bool {
	parts := strings.Split(configured, ".")
	have := []string{attached.Database, attached.Schema, attached.Identifier}
	for i := range parts {
		p := strings.Trim(parts[len(parts)-1-i], `"`)
		h := have[len(have)-1-i]
		if !strings.EqualFold(p, h) {
			return false
		}
	}
	return true
}

// sameColumns compares Snowflake's ref_arg_column_names ([ "A", "B" ])
// with the configured columns.
func sameColumns(list string, cols []string) bool {
	list = strings.Trim(strings.TrimSpace(list), "[]")
	var have []string
	for _, c := range strings.Split(list, ",") {
		if c = strings.Trim(strings.TrimSpace(c), `"`); c != "" {
			have = append(have, strings.ToUpper(c))
		}
	}
	if len(have) != len(cols) {
		return false
	}
	for i, c := range cols {
		if have[i] != strings.ToUpper(strings.Trim(c, `"`)) {
			return false
		}
	}
	return true
}
