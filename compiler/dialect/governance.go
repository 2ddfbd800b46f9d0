package dialect

import (
	"fmt"
	"sort"
	"strings"
)

// RelationOptions are the warehouse-specific options of a table or view
// build, read from the node's config by RelationOptionsFromConfig. The zero
// value is the default build.
type RelationOptions struct {
	// Permanent is `transient: false`: Snowflake tables are transient
	// unless it is set.
	Permanent bool
	// CopyGrants is `copy_grants: true`: keep the grants of the relation
	// being replaced.
	CopyGrants bool
	// ClusterBy is `cluster_by`: SQL expressions of the clustering key.
	ClusterBy []string
	// Secure is `secure: true` on a view.
	Secure bool
}

// RelationOptionsFromConfig reads transient, copy_grants, cluster_by and
// secure from a node's config.
func RelationOptionsFromConfig(cfg map[string]any) RelationOptions {
	var o RelationOptions
	if v, ok := configBool(cfg["transient"]); ok {
		o.Permanent = !v
	}
	o.CopyGrants, _ = configBool(cfg["copy_grants"])
	o.Secure, _ = configBool(cfg["secure"])
	o.ClusterBy = ConfigStrings(cfg["cluster_by"])
	return o
}

// configBool reads a boolean config, also written as a string.
func configBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// ConfigStrings reads a config that is a string or a list of strings.
func ConfigStrings(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if strings.TrimSpace(x) == "" {
			return nil
		}
		return []string{x}
	case []string:
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return []string{fmt.Sprint(v)}
}

// Governance is the SQL of access control a dialect supports: grants,
// column masking policies, object tags and row access policies. Snowflake
// implements it; a dialect without it (DuckDB) has none of these, and the
// runner reports them as not applicable.
type Governance interface {
	// ShowGrants lists the grants on rel. Its rows are Snowflake's SHOW
	// GRANTS columns: created_on, privilege, granted_on, name,
	// granted_to, grantee_name, grant_option, granted_by.
	ShowGrants(kind Kind, rel Relation) string
	// Grant grants privilege on rel to a role named as configured.
	Grant(kind Kind, rel Relation, privilege, role string) string
	// Revoke revokes privilege on rel from a role named as the warehouse
	// stores it (as SHOW GRANTS returns it).
	Revoke(kind Kind, rel Relation, privilege, storedRole string) string
	// SetMaskingPolicy attaches policy to column, replacing the policy
	// the column has.
	SetMaskingPolicy(kind Kind, rel Relation, column, policy string) string
	// SetColumnTag sets tag on column to value.
	SetColumnTag(kind Kind, rel Relation, column, tag, value string) string
	// RowAccessPolicies lists the row access policies attached to rel:
	// rows of (policy_db, policy_schema, policy_name, ref_arg_column_names).
	RowAccessPolicies(rel Relation) string
	// AddRowAccessPolicy attaches policy on columns to rel, in the same
	// statement dropping the attached policy drop (named as
	// RowAccessPolicies returns it) when drop.Identifier is not empty, so
	// rel is never without a policy.
	AddRowAccessPolicy(kind Kind, rel Relation, drop Relation, policy string, columns []string) string
}

var _ Governance = Snowflake{}

func (s Snowflake) ShowGrants(kind Kind, rel Relation) string {
	return "show grants on " + kindWord(kind) + " " + s.Render(rel)
}

func (s Snowflake) Grant(kind Kind, rel Relation, privilege, role string) string {
	return "grant " + strings.ToLower(privilege) + " on " + kindWord(kind) + " " + s.Render(rel) + " to role " + s.roleName(role)
}

// roleName is a configured role name, quoted when it needs it unless the
// config quoted it already.
func (s Snowflake) roleName(role string) string {
	if len(role) >= 2 && role[0] == '"' && role[len(role)-1] == '"' {
		return role
	}
	return s.Quote(role)
}

func (s Snowflake) Revoke(kind Kind, rel Relation, privilege, storedRole string) string {
	return "revoke " + strings.ToLower(privilege) + " on " + kindWord(kind) + " " + s.Render(rel) + " from role " + s.storedName(storedRole)
}

// storedName quotes a name as the catalog stores it only when the plain
// spelling would fold to something else.
func (s Snowflake) storedName(name string) string {
	if snowflakePlain(name) && name == strings.ToUpper(name) && !snowflakeKeywords[strings.ToLower(name)] {
		return name
	}
	return quoteAlways(name)
}

func (s Snowflake) SetMaskingPolicy(kind Kind, rel Relation, column, policy string) string {
	return "alter " + kindWord(kind) + " " + s.Render(rel) + " modify column " + s.Quote(column) + " set masking policy " + policy + " force"
}

func (s Snowflake) SetColumnTag(kind Kind, rel Relation, column, tag, value string) string {
	return "alter " + kindWord(kind) + " " + s.Render(rel) + " modify column " + s.Quote(column) + " set tag " + tag + " = " + s.Literal(value)
}

func (s Snowflake) RowAccessPolicies(rel Relation) string {
	from := "information_schema.policy_references"
	if rel.Database != "" {
		from = s.Render(Relation{Schema: rel.Database, Identifier: "information_schema"}) + ".policy_references"
	}
	return "select policy_db, policy_schema, policy_name, ref_arg_column_names from table(" + from +
		"(ref_entity_name => " + s.Literal(s.Render(rel)) + ", ref_entity_domain => 'table'))" +
		" where policy_kind = 'ROW_ACCESS_POLICY'"
}

func (s Snowflake) AddRowAccessPolicy(kind Kind, rel Relation, drop Relation, policy string, columns []string) string {
	cols := make([]string, len(columns))
	for i, c := range columns {
		cols[i] = s.Quote(c)
	}
	q := "alter " + kindWord(kind) + " " + s.Render(rel)
	if drop.Identifier != "" {
		q += " drop row access policy " + render(drop, func(_ int, p string) string { return s.storedName(p) }) + ","
	}
	return q + " add row access policy " + policy + " on (" + strings.Join(cols, ", ") + ")"
}

// Session settings of Snowflake: the virtual warehouse and the query tag.

// UseWarehouse makes the session run its queries on warehouse.
func (s Snowflake) UseWarehouse(warehouse string) string {
	return "use warehouse " + s.Quote(warehouse)
}

// CurrentWarehouse is a query of the session's warehouse.
func (Snowflake) CurrentWarehouse() string { return "select current_warehouse()" }

// SetQueryTag tags the session's queries (tag "" unsets it).
func (s Snowflake) SetQueryTag(tag string) string {
	if tag == "" {
		return "alter session unset query_tag"
	}
	return "alter session set query_tag = " + s.Literal(tag)
}

// Grant is one privilege granted to one role.
type Grant struct {
	Privilege string // upper case
	Role      string
}

// GrantChanges compares the grants a config asks for (privilege -> roles,
// as configured) with the grants a relation has (as the warehouse stores
// them: unquoted names in upper case) and returns what to grant and what
// to revoke, in a stable order. Names compare as Snowflake resolves them:
// a plain configured name matches its upper-case spelling.
func GrantChanges(want map[string][]string, have []Grant) (grant, revoke []Grant) {
	type key struct{ priv, role string }
	wanted := map[key]bool{}
	for priv, roles := range want {
		for _, r := range roles {
			wanted[key{strings.ToUpper(priv), storedRole(r)}] = true
		}
	}
	present := map[key]bool{}
	for _, g := range have {
		k := key{strings.ToUpper(g.Privilege), g.Role}
		present[k] = true
		if !wanted[k] {
			revoke = append(revoke, Grant{k.priv, g.Role})
		}
	}
	privs := make([]string, 0, len(want))
	for p := range want {
		privs = append(privs, p)
	}
	sort.Strings(privs)
	for _, p := range privs {
		for _, r := range want[p] {
			k := key{strings.ToUpper(p), storedRole(r)}
			if !present[k] {
				present[k] = true // a role listed twice is granted once
				grant = append(grant, Grant{k.priv, r})
			}
		}
	}
	sort.Slice(revoke, func(i, j int) bool {
		if revoke[i].Privilege != revoke[j].Privilege {
			return revoke[i].Privilege < revoke[j].Privilege
		}
		return revoke[i].Role < revoke[j].Role
	})
	return grant, revoke
}

// storedRole is how Snowflake stores a configured role name: a plain name
// folds to upper case, a quoted one keeps its case.
func storedRole(name string) string {
	if len(name) >= 2 && name[0] == '"' && name[len(name)-1] == '"' {
		return strings.ReplaceAll(name[1:len(name)-1], `""`, `"`)
	}
	if snowflakePlain(name) {
		return strings.ToUpper(name)
	}
	return name
}
