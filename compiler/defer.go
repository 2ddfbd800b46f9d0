package compiler

import (
	"strings"

	"github.com/kiln-build/kiln/compiler/dialect"
)

// DeferCandidates lists the nodes the selected nodes read from that are not
// selected themselves and have a relation (models, seeds, snapshots): with
// --defer, those missing from the current target are read from the state's
// relations instead. Ephemeral parents are looked through.
func DeferCandidates(m *Manifest, selected map[string]bool) []string {
	seen := map[string]bool{}
	var out []string
	var visit func(id string)
	visit = func(id string) {
		for _, p := range m.Parents(id) {
			if selected[p] || seen[p] {
				continue
			}
			seen[p] = true
			n, ok := m.Nodes[p]
			if !ok {
				continue
			}
			if n.ResourceType == Model && n.Materialized() == "ephemeral" {
				visit(p)
				continue
			}
			if n.Relation != nil {
				out = append(out, p)
			}
		}
	}
	for _, id := range m.Order {
		if n, ok := m.Nodes[id]; ok && selected[id] && n.Executable() {
			visit(id)
		}
	}
	return out
}

// Defer rewrites the SQL of the selected nodes so that each node in to
// (node id -> the relation to read instead) is read from that relation. The
// node's own relation name is replaced where it stands as a whole name, so
// main.orders is not touched inside main.orders_v2.
func Defer(m *Manifest, selected map[string]bool, to map[string]dialect.Relation) {
	type swap struct{ from, to string }
	var swaps []swap
	for id, rel := range to {
		n, ok := m.Nodes[id]
		if !ok || n.RelationName == "" {
			continue
		}
		swaps = append(swaps, swap{n.RelationName, m.Dialect.Render(rel)})
	}
	if len(swaps) == 0 {
		return
	}
	rewrite := func(sql string) string {
		for _, s := range swaps {
			sql = replaceRelationName(sql, s.from, s.to)
		}
		return sql
	}
	for id := range selected {
		n, ok := m.Nodes[id]
		if !ok {
			continue
		}
		n.CompiledSQL = rewrite(n.CompiledSQL)
		if n.Incremental != nil {
			n.Incremental.SQL = rewrite(n.Incremental.SQL)
		}
	}
}

func isNamePart(b byte) bool {
	return b == '_' || b == '"' || b == '$' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= 0x80
}

// replaceRelationName replaces whole occurrences of the relation name from.
func replaceRelationName(sql, from, to string) string {
	if from == "" || !strings.Contains(sql, from) {
		return sql
	}
	var b strings.Builder
	for {
		i := strings.Index(sql, from)
		if i < 0 {
			b.WriteString(sql)
			return b.String()
		}
		end := i + len(from)
		whole := (i == 0 || !isNamePart(sql[i-1]) && sql[i-1] != '.') && (end == len(sql) || !isNamePart(sql[end]))
		b.WriteString(sql[:i])
		if whole {
			b.WriteString(to)
		} else {
			b.WriteString(from)
		}
		sql = sql[end:]
	}
}
