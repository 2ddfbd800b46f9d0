package cli

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/runner"
)

// reconcileFlags are made per app: urfave/cli writes into a flag as it
// parses, and tests run apps side by side in one process.
func reconcileFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "left", Usage: "left relation: a name, ref('model') or source('src','table')"},
		&ucli.StringFlag{Name: "right", Usage: "right relation (same forms as --left)"},
		&ucli.StringFlag{Name: "model", Usage: "compare this model as built by --left-target and --right-target"},
		&ucli.StringFlag{Name: "left-target", Usage: "profile target the left side is read in (default: --target)"},
		&ucli.StringFlag{Name: "right-target", Usage: "profile target the right side is read in (default: --target)"},
		&ucli.StringFlag{Name: "group-by", Usage: "comma-separated key expressions, e.g. day,store_id"},
		&ucli.StringFlag{Name: "measures", Usage: "comma-separated measures summed per group, e.g. amount,qty"},
		&ucli.StringFlag{Name: "tolerance", Value: "0", Usage: "largest relative difference accepted: 0.5% or 0.005"},
		&ucli.StringFlag{Name: "where", Usage: "a SQL filter applied to both sides"},
	}
}

// reconcileCheck is one comparison, from the flags or a model's
// meta: {reconcile: [...]}.
type reconcileCheck struct {
	name                    string
	left, right             string // relation expressions
	leftTarget, rightTarget string
	spec                    runner.ReconcileSpec
}

var (
	refExprRE    = regexp.MustCompile(`^\s*ref\(\s*['"]([^'"]+)['"]\s*\)\s*$`)
	sourceExprRE = regexp.MustCompile(`^\s*source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)\s*$`)
)

// resolveRelation turns ref('x'), source('a','b') or a plain name into the
// relation name in manifest m.
func resolveRelation(m *compiler.Manifest, expr string) (string, error) {
	if g := refExprRE.FindStringSubmatch(expr); g != nil {
		for _, n := range m.Nodes {
			if n.Name == g[1] && n.ResourceType != compiler.Test {
				if n.RelationName == "" {
					return "", fmt.Errorf("%s has no relation (ephemeral?)", expr)
				}
				return n.RelationName, nil
			}
		}
		return "", fmt.Errorf("unknown model in %s", expr)
	}
	if g := sourceExprRE.FindStringSubmatch(expr); g != nil {
		for _, n := range m.Sources {
			if n.SourceName == g[1] && n.Name == g[2] {
				return n.RelationName, nil
			}
		}
		return "", fmt.Errorf("unknown source in %s", expr)
	}
	if strings.TrimSpace(expr) == "" {
		return "", fmt.Errorf("empty relation")
	}
	return expr, nil
}

func parseTolerance(v string) (float64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	pct := strings.HasSuffix(v, "%")
	f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("tolerance %q is not a percentage (0.5%%) or a fraction (0.005)", v)
	}
	if pct {
		f /= 100
	}
	return f, nil
}

func listOf(v any) []string {
	switch x := v.(type) {
	case string:
		return splitList(strings.Split(x, ","))
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	case []string:
		return x
	}
	return nil
}

// configuredChecks reads meta: {reconcile: [...]} (or config: {meta: ...})
// of the selected models.
func configuredChecks(m *compiler.Manifest, sel map[string]bool) ([]reconcileCheck, error) {
	var ids []string
	for id := range sel {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []reconcileCheck
	for _, id := range ids {
		n := m.Nodes[id]
		if n == nil {
			continue
		}
		raw, ok := n.Meta["reconcile"]
		if !ok {
			if meta, isMap := n.Config["meta"].(map[string]any); isMap {
				raw, ok = meta["reconcile"]
			}
		}
		if !ok {
			continue
		}
		items, isList := raw.([]any)
		if !isList {
			items = []any{raw}
		}
		for k, it := range items {
			cfg, isMap := it.(map[string]any)
			if !isMap {
				return nil, fmt.Errorf("%s: meta.reconcile[%d] must be a mapping", n.Path, k)
			}
			str := func(key string) string {
				if v, ok := cfg[key]; ok && v != nil {
					return fmt.Sprint(v)
				}
				return ""
			}
			tol, err := parseTolerance(str("tolerance"))
			if err != nil {
				return nil, fmt.Errorf("%s: meta.reconcile[%d]: %v", n.Path, k, err)
			}
			chk := reconcileCheck{
				name: n.Name, left: "ref('" + n.Name + "')", right: str("compare_to"),
				leftTarget: str("left_target"), rightTarget: str("right_target"),
				spec: runner.ReconcileSpec{GroupBy: listOf(cfg["group_by"]), Measures: listOf(cfg["measures"]), Tolerance: tol, Where: str("where")},
			}
			if t := str("target"); t != "" && chk.rightTarget == "" {
				chk.rightTarget = t
			}
			if chk.right == "" {
				if chk.rightTarget == "" {
					return nil, fmt.Errorf("%s: meta.reconcile[%d] needs compare_to: (a relation) or target: (another profile target)", n.Path, k)
				}
				chk.right = chk.left
			}
			if nm := str("name"); nm != "" {
				chk.name = n.Name + ":" + nm
			}
			out = append(out, chk)
		}
	}
	return out, nil
}

// reconcileSide is a compiled project and an open warehouse for a target.
type reconcileSide struct {
	m  *compiler.Manifest
	wh runner.Warehouse
}

func reconcileCommand(c *ucli.Context, e *env_) error {
	s, err := load(c, e)
	if err != nil {
		return err
	}
	var checks []reconcileCheck
	if c.String("left") != "" || c.String("right") != "" || c.String("model") != "" {
		tol, err := parseTolerance(c.String("tolerance"))
		if err != nil {
			return invalid("error: --%v", err)
		}
		chk := reconcileCheck{
			left: c.String("left"), right: c.String("right"),
			leftTarget: c.String("left-target"), rightTarget: c.String("right-target"),
			spec: runner.ReconcileSpec{GroupBy: splitList(strings.Split(c.String("group-by"), ",")), Measures: splitList(strings.Split(c.String("measures"), ",")), Tolerance: tol, Where: c.String("where")},
		}
		if m := c.String("model"); m != "" {
			if chk.left != "" || chk.right != "" {
				return invalid("error: give --model, or --left and --right, not both")
			}
			chk.left, chk.right = "ref('"+m+"')", "ref('"+m+"')"
			if chk.leftTarget == "" && chk.rightTarget == "" {
				return invalid("error: --model compares a model across two targets\n  hint: add --left-target and --right-target")
			}
		} else if chk.left == "" || chk.right == "" {
			return invalid("error: reconcile needs both --left and --right (or --model with --left-target and --right-target)")
		}
		chk.name = chk.left + " vs " + chk.right
		checks = append(checks, chk)
	} else {
		sel, err := s.selectTypes(c, []string{compiler.Model})
		if err != nil {
			return err
		}
		if checks, err = configuredChecks(s.manifest, sel); err != nil {
			return invalid("error: %v", err)
		}
		if len(checks) == 0 {
			s.out.info("nothing_selected", "Nothing to reconcile: no --left/--right and no model has meta: {reconcile: [...]}")
			return nil
		}
	}

	defaultTarget := s.profile.Target.Name
	sides := map[string]*reconcileSide{}
	byPath := map[string]runner.Warehouse{}
	defer func() {
		closed := map[runner.Warehouse]bool{}
		for _, sd := range sides {
			if !closed[sd.wh] {
				closed[sd.wh] = true
				sd.wh.Close()
			}
		}
	}()
	side := func(target string) (*reconcileSide, error) {
		if target == "" {
			target = defaultTarget
		}
		if sd, ok := sides[target]; ok {
			return sd, nil
		}
		ss := s
		if target != defaultTarget {
			prev := c.String("target")
			if err := c.Set("target", target); err != nil {
				return nil, invalid("error: %v", err)
			}
			ss, err = load(c, e)
			_ = c.Set("target", prev)
			if err != nil {
				return nil, err
			}
		}
		key := ""
		if ss.profile.Target.Type == "duckdb" && ss.profile.DuckDB.Path != ":memory:" {
			abs, _ := filepath.Abs(ss.profile.DuckDB.Path)
			key = abs
		}
		wh := byPath[key]
		if key == "" || wh == nil {
			if wh, err = openWarehouse(c.Context, ss.profile, ss.projectDir); err != nil {
				return nil, err
			}
			if key != "" {
				byPath[key] = wh
			}
		}
		sd := &reconcileSide{m: ss.manifest, wh: wh}
		sides[target] = sd
		return sd, nil
	}

	failed := 0
	for _, chk := range checks {
		l, err := side(chk.leftTarget)
		if err != nil {
			return err
		}
		r, err := side(chk.rightTarget)
		if err != nil {
			return err
		}
		lrel, err := resolveRelation(l.m, chk.left)
		if err != nil {
			return invalid("error: reconcile %s: left: %v", chk.name, err)
		}
		rrel, err := resolveRelation(r.m, chk.right)
		if err != nil {
			return invalid("error: reconcile %s: right: %v", chk.name, err)
		}
		rep, err := runner.Reconcile(c.Context, l.wh, lrel, r.wh, rrel, chk.spec)
		if err != nil {
			failed++
			s.out.info("reconcile_error", "ERROR %s: %v", chk.name, err)
			continue
		}
		status := "PASS"
		if len(rep.Problems) > 0 {
			status = "FAIL"
			failed++
		}
		s.out.info("reconcile", "%s %s: %s (%.0f rows) vs %s (%.0f rows), %d group%s, tolerance %g%%, %d outside",
			status, chk.name, lrel, rep.LeftRows, rrel, rep.RightRows, rep.Groups, plural(rep.Groups), chk.spec.Tolerance*100, len(rep.Problems))
		for _, p := range rep.Problems {
			group := "(all rows)"
			if len(p.Group) > 0 {
				var kv []string
				for i, k := range chk.spec.GroupBy {
					if i < len(p.Group) {
						kv = append(kv, k+"="+p.Group[i])
					}
				}
				group = strings.Join(kv, ", ")
			}
			if p.Missing != "" {
				s.out.info("reconcile_group", "    %s: missing on the %s (%.0f row(s) on the other side)", group, p.Missing, p.Left+p.Right)
				continue
			}
			s.out.info("reconcile_group", "    %s: %s left=%v right=%v diff=%.3f%%", group, p.Measure, p.Left, p.Right, p.RelDiff*100)
		}
	}
	if failed > 0 {
		return &exitError{code: exitFailed}
	}
	return nil
}
