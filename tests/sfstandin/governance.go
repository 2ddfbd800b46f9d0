package sfstandin

import (
	"context"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Session settings (warehouse, query tag) and governance (grants, masking
// policies, column tags, row access policies) are bookkeeping here: DuckDB
// has none of them. The stand-in keeps them per session and per relation
// so tests can see what Kiln set, through SHOW GRANTS and
// policy_references as on Snowflake, or through the accessors below.

type governance struct {
	grants    map[string]map[grantKey]bool // relation -> grants
	masking   map[string]map[string]string // relation -> column -> policy
	tags      map[string]map[string]string // relation -> "COLUMN.TAG" -> value
	rowAccess map[string]rowPolicy         // relation -> policy
}

type grantKey struct{ privilege, role string }

type rowPolicy struct {
	db, schema, name string
	columns          []string
}

var (
	useWarehouseRE = regexp.MustCompile(`(?is)^use\s+warehouse\s+(\S+)$`)
	setTagRE       = regexp.MustCompile(`(?is)^alter\s+session\s+set\s+query_tag\s*=\s*'((?:[^'\\]|''|\\.)*)'$`)
	unsetTagRE     = regexp.MustCompile(`(?is)^alter\s+session\s+unset\s+query_tag$`)
	currentWhRE    = regexp.MustCompile(`(?is)^select\s+current_warehouse\s*\(\s*\)$`)
	grantRE        = regexp.MustCompile(`(?is)^grant\s+(\w+)\s+on\s+(?:table|view)\s+(\S+)\s+to\s+role\s+(\S+)$`)
	revokeRE       = regexp.MustCompile(`(?is)^revoke\s+(\w+)\s+on\s+(?:table|view)\s+(\S+)\s+from\s+role\s+(\S+)$`)
	showGrantsRE   = regexp.MustCompile(`(?is)^show\s+grants\s+on\s+(?:table|view)\s+(\S+)$`)
	maskingRE      = regexp.MustCompile(`(?is)^alter\s+(?:table|view)\s+(\S+)\s+modify\s+column\s+(\S+)\s+set\s+masking\s+policy\s+(\S+)(\s+force)?$`)
	columnTagRE    = regexp.MustCompile(`(?is)^alter\s+(?:table|view)\s+(\S+)\s+modify\s+column\s+(\S+)\s+set\s+tag\s+(\S+)\s*=\s*'((?:[^'\\]|''|\\.)*)'$`)
	rowAccessRE    = regexp.MustCompile(`(?is)^alter\s+(?:table|view)\s+(\S+)\s+(?:drop\s+row\s+access\s+policy\s+(\S+)\s*,\s*)?add\s+row\s+access\s+policy\s+(\S+)\s+on\s*\(([^)]*)\)$`)
	policyRefsRE   = regexp.MustCompile(`(?is)policy_references\s*\(\s*ref_entity_name\s*=>\s*'([^']*)'`)
	replaceRE      = regexp.MustCompile(`(?is)^create\s+or\s+replace\s+(?:secure\s+|transient\s+)*(?:table|view)\s+(\S+)`)
	dropRE         = regexp.MustCompile(`(?is)^drop\s+(?:table|view)\s+(?:if\s+exists\s+)?(\S+)`)
	waitRE         = regexp.MustCompile(`(?i)\bsystem\$wait\s*\(\s*(\d+)`)
)

// sessionAndGovernance answers the statements that are bookkeeping; it
// reports handled false for anything else. A statement calling
// system$wait(n) first waits n seconds, or until it is aborted.
func (s *Server) sessionAndGovernance(ctx context.Context, ss *session, stmt string) (*result, bool, error) {
	if m := waitRE.FindStringSubmatch(stmt); m != nil {
		n, _ := strconv.Atoi(m[1])
		select {
		case <-ctx.Done():
			return nil, true, ctx.Err()
		case <-time.After(time.Duration(n) * time.Second):
		}
	}
	done := statusResult("Statement executed successfully.")
	if m := useWarehouseRE.FindStringSubmatch(stmt); m != nil {
		ss.warehouse = storedName(m[1])
		return done, true, nil
	}
	if m := setTagRE.FindStringSubmatch(stmt); m != nil {
		ss.queryTag = strings.ReplaceAll(m[1], "''", "'")
		return done, true, nil
	}
	if unsetTagRE.MatchString(stmt) {
		ss.queryTag = ""
		return done, true, nil
	}
	if currentWhRE.MatchString(stmt) {
		res := &result{rowType: []map[string]any{textColumn("CURRENT_WAREHOUSE()")}, statementType: stmtSelect}
		res.rows = [][]*string{{strp(ss.warehouse)}}
		if ss.warehouse == "" {
			res.rows = [][]*string{{nil}}
		}
		return res, true, nil
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	g := &s.gov
	if g.grants == nil {
		g.grants, g.masking, g.tags, g.rowAccess = map[string]map[grantKey]bool{}, map[string]map[string]string{}, map[string]map[string]string{}, map[string]rowPolicy{}
	}
	switch m := (struct{ grant, revoke, show, mask, tag, rap, refs []string }{
		grantRE.FindStringSubmatch(stmt), revokeRE.FindStringSubmatch(stmt), showGrantsRE.FindStringSubmatch(stmt),
		maskingRE.FindStringSubmatch(stmt), columnTagRE.FindStringSubmatch(stmt), rowAccessRE.FindStringSubmatch(stmt),
		policyRefsRE.FindStringSubmatch(stmt),
	}); {
	case m.grant != nil:
		rel := ss.relKey(m.grant[2])
		if g.grants[rel] == nil {
			g.grants[rel] = map[grantKey]bool{}
		}
		g.grants[rel][grantKey{strings.ToUpper(m.grant[1]), storedName(m.grant[3])}] = true
		return done, true, nil
	case m.revoke != nil:
		delete(g.grants[ss.relKey(m.revoke[2])], grantKey{strings.ToUpper(m.revoke[1]), storedName(m.revoke[3])})
		return done, true, nil
	case m.show != nil:
		rel := ss.relKey(m.show[1])
		res := &result{statementType: stmtSelect}
		for _, c := range []string{"created_on", "privilege", "granted_on", "name", "granted_to", "grantee_name", "grant_option", "granted_by"} {
			res.rowType = append(res.rowType, textColumn(c))
		}
		row := func(priv, role string) []*string {
			return []*string{strp("2024-01-01 00:00:00"), strp(priv), strp("TABLE"), strp(rel), strp("ROLE"), strp(role), strp("false"), strp(ss.role)}
		}
		if ss.role != "" {
			res.rows = append(res.rows, row("OWNERSHIP", ss.role))
		}
		var keys []grantKey
		for k := range g.grants[rel] {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i].privilege+keys[i].role < keys[j].privilege+keys[j].role })
		for _, k := range keys {
			res.rows = append(res.rows, row(k.privilege, k.role))
		}
		return res, true, nil
	case m.mask != nil:
		rel := ss.relKey(m.mask[1])
		col := storedName(m.mask[2])
		if _, set := g.masking[rel][col]; set && m.mask[4] == "" {
			return nil, true, &sqlError{"003160", "42000", "SQL compilation error: Specified column already attached to another masking policy."}
		}
		if g.masking[rel] == nil {
			g.masking[rel] = map[string]string{}
		}
		g.masking[rel][col] = m.mask[3]
		return done, true, nil
	case m.tag != nil:
		rel := ss.relKey(m.tag[1])
		if g.tags[rel] == nil {
			g.tags[rel] = map[string]string{}
		}
		g.tags[rel][storedName(m.tag[2])+"."+m.tag[3]] = strings.ReplaceAll(m.tag[4], "''", "'")
		return done, true, nil
	case m.rap != nil:
		rel := ss.relKey(m.rap[1])
		cur, has := g.rowAccess[rel]
		if has && (m.rap[2] == "" || !strings.EqualFold(ss.qualify(m.rap[2]), cur.db+"."+cur.schema+"."+cur.name)) {
			return nil, true, &sqlError{"003185", "42000", "SQL compilation error: Object " + rel + " already has a row access policy " + cur.name + "."}
		}
		parts := strings.Split(ss.qualify(m.rap[3]), ".")
		var cols []string
		for _, c := range strings.Split(m.rap[4], ",") {
			cols = append(cols, storedName(strings.TrimSpace(c)))
		}
		g.rowAccess[rel] = rowPolicy{parts[0], parts[1], parts[2], cols}
		return done, true, nil
	case m.refs != nil:
		rel := ss.relKey(m.refs[1])
		res := &result{statementType: stmtSelect}
		for _, c := range []string{"POLICY_DB", "POLICY_SCHEMA", "POLICY_NAME", "REF_ARG_COLUMN_NAMES"} {
			res.rowType = append(res.rowType, textColumn(c))
		}
		if p, ok := g.rowAccess[rel]; ok {
			res.rows = append(res.rows, []*string{strp(p.db), strp(p.schema), strp(p.name), strp(`[ "` + strings.Join(p.columns, `", "`) + `" ]`)})
		}
		return res, true, nil
	}
	return nil, false, nil
}

// afterStatement forgets what Snowflake forgets: a replaced relation
// loses its policies and tags, and its grants unless `copy grants`; a
// dropped one loses everything.
func (s *Server) afterStatement(ss *session, stmt string) {
	stmt = strings.TrimSpace(trailingSemicolon(stmt))
	var rel string
	keepGrants := false
	if m := replaceRE.FindStringSubmatch(stmt); m != nil {
		rel = ss.relKey(m[1])
		head := stmt
		if i := strings.Index(strings.ToLower(stmt), " as "); i >= 0 {
			head = stmt[:i]
		}
		keepGrants = regexp.MustCompile(`(?i)\bcopy\s+grants\b`).MatchString(head)
	} else if m := dropRE.FindStringSubmatch(stmt); m != nil {
		rel = ss.relKey(m[1])
	} else {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !keepGrants {
		delete(s.gov.grants, rel)
	}
	delete(s.gov.masking, rel)
	delete(s.gov.tags, rel)
	delete(s.gov.rowAccess, rel)
}

// storedName is an identifier as Snowflake stores it.
func storedName(ident string) string {
	if len(ident) >= 2 && ident[0] == '"' && ident[len(ident)-1] == '"' {
		return strings.ReplaceAll(ident[1:len(ident)-1], `""`, `"`)
	}
	return strings.ToUpper(ident)
}

// splitName splits a dotted name, keeping quoted parts whole.
func splitName(name string) []string {
	var parts []string
	var cur strings.Builder
	quoted := false
	for _, r := range name {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case r == '.' && !quoted:
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	return append(parts, cur.String())
}

// qualify is a name as DB.SCHEMA.NAME, resolved in the session.
func (ss *session) qualify(name string) string {
	parts := splitName(name)
	for i := range parts {
		parts[i] = storedName(parts[i])
	}
	switch len(parts) {
	case 1:
		parts = append([]string{ss.db, ss.schema}, parts...)
	case 2:
		parts = append([]string{ss.db}, parts...)
	}
	return strings.Join(parts, ".")
}

func (ss *session) relKey(name string) string { return ss.qualify(name) }

// Grants lists the grants on a relation (DB.SCHEMA.NAME, as stored) as
// "PRIVILEGE ROLE", sorted.
func (s *Server) Grants(rel string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.gov.grants[rel] {
		out = append(out, k.privilege+" "+k.role)
	}
	sort.Strings(out)
	return out
}

// MaskingPolicies maps the columns of a relation to their masking policy.
func (s *Server) MaskingPolicies(rel string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for c, p := range s.gov.masking[rel] {
		out[c] = p
	}
	return out
}

// ColumnTags maps "COLUMN.tag" of a relation to the tag's value.
func (s *Server) ColumnTags(rel string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for k, v := range s.gov.tags[rel] {
		out[k] = v
	}
	return out
}

// RowAccessPolicy is the policy attached to a relation as
// "DB.SCHEMA.POLICY(COL, ...)", or "".
func (s *Server) RowAccessPolicy(rel string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.gov.rowAccess[rel]
	if !ok {
		return ""
	}
	return p.db + "." + p.schema + "." + p.name + "(" + strings.Join(p.columns, ", ") + ")"
}

// Queries returns the statements the stand-in received, in order, with
// the session, warehouse and query tag each ran under.
func (s *Server) Queries() []Event {
	var out []Event
	for _, e := range s.Events() {
		if e.Kind == "query" {
			out = append(out, e)
		}
	}
	return out
}

// Running returns the statements being executed now.
func (s *Server) Running() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, q := range s.inflight {
		out = append(out, q)
	}
	sort.Strings(out)
	return out
}
