package compiler

import (
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/dialect"
)

// checkRelations reports two enabled nodes that would build the same relation (one
// would overwrite the other, in an order that depends on the DAG) and a
// node named like the table Kiln keeps its watermarks in. Names compare
// without case: both warehouses resolve unquoted identifiers that way.
func (c *compilation) checkRelations() {
	owner := make(map[string]*Node, len(c.models))
	for _, r := range c.models {
		n := r.node
		if n.Relation == nil || !enabled(n) {
			continue // ephemeral, or never built
		}
		key := strings.ToLower(n.RelationName)
		if strings.EqualFold(n.Relation.Identifier, dialect.WatermarksTable) {
			c.errorf(c.aliasPos(n), "rename the "+string(n.ResourceType)+" or give it another alias",
				"%s %q would build %s, the table Kiln keeps incremental models' high-water marks in", n.ResourceType, n.Name, n.RelationName)
			continue
		}
		if first, dup := owner[key]; dup {
			c.errorf(c.aliasPos(n), fmt.Sprintf("give one of them another alias or schema (the other is %s, %s)", first.UniqueID, first.Path),
				"%s and %s both build %s", first.UniqueID, n.UniqueID, n.RelationName)
			continue
		}
		owner[key] = n
	}
}

// aliasPos is where n's alias is set, else where n is declared: the place
// that decides its relation's name. Looked up only for an error.
func (c *compilation) aliasPos(n *Node) diag.Pos {
	if n.ConfigString("alias") != "" {
		return c.configPos(n, "alias")
	}
	return n.Pos
}
