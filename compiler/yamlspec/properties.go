package yamlspec

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
)

// Properties is a schema property file (models/**/*.yml).
type Properties struct {
	Version        int         `yaml:"version"`
	Models         []*Model    `yaml:"models"`
	Sources        []*Source   `yaml:"sources"`
	Seeds          []*Seed     `yaml:"seeds"`
	Snapshots      []*Snapshot `yaml:"snapshots"`
	Exposures      []*Exposure `yaml:"exposures"`
	Macros         []*Macro    `yaml:"macros"`
	Analyses       []*Analysis `yaml:"analyses"`
	Groups         []*Group    `yaml:"groups"`
	Metrics        *yaml.Node  `yaml:"metrics"`         // accepted, not validated
	SemanticModels *yaml.Node  `yaml:"semantic_models"` // accepted, not validated
	SavedQueries   *yaml.Node  `yaml:"saved_queries"`   // accepted, not validated
	UnitTests      *yaml.Node  `yaml:"unit_tests"`      // accepted, not validated
	Pos            diag.Pos    `yaml:"-"`
}

// Model is an entry of `models:`.
type Model struct {
	Name            string         `yaml:"name,required"`
	Description     string         `yaml:"description"`
	Config          Config         `yaml:"config"`
	Columns         []*Column      `yaml:"columns"`
	DataTests       []*TestSpec    `yaml:"data_tests,alias=tests"`
	Constraints     []*Constraint  `yaml:"constraints"`
	Meta            map[string]any `yaml:"meta"`
	Docs            *Docs          `yaml:"docs"`
	Tags            StringOrList   `yaml:"tags"`
	Access          string         `yaml:"access"`
	Group           string         `yaml:"group"`
	LatestVersion   any            `yaml:"latest_version"`
	Versions        *yaml.Node     `yaml:"versions"` // kept raw
	DeprecationDate string         `yaml:"deprecation_date"`
	TimeSpine       *yaml.Node     `yaml:"time_spine"` // kept raw
	Pos             diag.Pos       `yaml:"-"`
}

// Column is an entry of `columns:`.
type Column struct {
	Name        string         `yaml:"name,required"`
	Description string         `yaml:"description"`
	DataType    string         `yaml:"data_type"`
	Quote       *bool          `yaml:"quote"`
	Meta        map[string]any `yaml:"meta"`
	Tags        StringOrList   `yaml:"tags"`
	DataTests   []*TestSpec    `yaml:"data_tests,alias=tests"`
	Constraints []*Constraint  `yaml:"constraints"`
	Config      Config         `yaml:"config"`
	PolicyTags  []string       `yaml:"policy_tags"`
	Granularity string         `yaml:"granularity"`
	Pos         diag.Pos       `yaml:"-"`
}

// Docs is the `docs:` property.
type Docs struct {
	Show      *bool    `yaml:"show"`
	NodeColor string   `yaml:"node_color"`
	Pos       diag.Pos `yaml:"-"`
}

var constraintTypes = []string{"check", "not_null", "unique", "primary_key", "foreign_key", "custom"}

// Constraint is a model or column contract constraint.
type Constraint struct {
	Type            string   `yaml:"type,required"`
	Name            string   `yaml:"name"`
	Expression      string   `yaml:"expression"`
	Columns         []string `yaml:"columns"`
	To              string   `yaml:"to"`
	ToColumns       []string `yaml:"to_columns"`
	WarnUnenforced  *bool    `yaml:"warn_unenforced"`
	WarnUnsupported *bool    `yaml:"warn_unsupported"`
	Pos             diag.Pos `yaml:"-"`
}

// DecodeNode implements NodeDecoder, checking the constraint type.
func (c *Constraint) DecodeNode(d *Decoder, n *yaml.Node) {
	d.Decode(n, (*constraintFields)(c))
	if c.Type != "" {
		d.CheckEnum(valueOf(d.Resolve(n), "type"), "constraint type", c.Type, constraintTypes)
	}
}

type constraintFields Constraint

// TestSpec is one data test of a model, column, source table, seed or
// snapshot, in any of dbt's forms: `- unique`, `- accepted_values: {values:
// [...]}`, the dbt 1.10 form with `arguments:` and `config:`, and the long
// form with `test_name:`. Config args written beside the arguments
// (severity, where, tags, ...) are moved into Config, as dbt does.
type TestSpec struct {
	Name        string              // the test: unique, not_null, relationships, dbt_utils.expression_is_true, my_test
	CustomName  string              // `name:`, when the test is given one
	Description string              // `description:`
	ColumnName  string              // `column_name:`, for model-level tests on an expression
	Args        map[string]any      // test arguments (values: [...], to: "ref('x')", field: id)
	ArgPos      map[string]diag.Pos // position of each argument
	Config      Config              // test configs (severity, where, ...)
	Pos         diag.Pos
}

// Expected names the shape for messages.
func (*TestSpec) Expected() string { return "a test name or a mapping of a test name to its arguments" }

// testConfigArgs are configs dbt accepts at the top level of a test's body.
var testConfigArgs = map[string]bool{
	"severity": true, "tags": true, "enabled": true, "where": true, "limit": true,
	"warn_if": true, "error_if": true, "fail_calc": true, "store_failures": true,
	"store_failures_as": true, "meta": true, "database": true, "schema": true, "alias": true,
}

// DecodeNode implements NodeDecoder.
func (t *TestSpec) DecodeNode(d *Decoder, n *yaml.Node) {
	n = d.Resolve(n)
	t.Pos = d.Pos(n)
	switch {
	case n.Kind == yaml.ScalarNode && !IsNull(n):
		t.Name = n.Value
		return
	case n.Kind != yaml.MappingNode:
		d.TypeError(n, t.Expected())
		return
	}
	var body *yaml.Node
	var keys []string
	var testNameVal, firstK, firstV *yaml.Node
	d.EachPair(n, func(k, v *yaml.Node) {
		if firstK == nil {
			firstK, firstV = k, v
		}
		keys = append(keys, k.Value)
		if k.Value == "test_name" {
			testNameVal = d.Resolve(v)
		}
	})
	switch {
	case testNameVal != nil:
		if testNameVal.Kind != yaml.ScalarNode || IsNull(testNameVal) {
			d.key = "test_name"
			d.TypeError(testNameVal, "a test name")
			d.key = ""
			return
		}
		t.Name = testNameVal.Value
		body = n
	case len(keys) == 1:
		t.Name = firstK.Value
		body = d.Resolve(firstV)
		if IsNull(body) {
			return
		}
		if body.Kind != yaml.MappingNode {
			d.key = t.Name
			d.TypeError(body, "a mapping of test arguments")
			d.key = ""
			return
		}
	default:
		sort.Strings(keys)
		d.Errorf(n, "write `- test_name: {arg: value}`, or name the test with `test_name:`",
			"a test must have exactly one key, its name; got %d: %s", len(keys), strings.Join(keys, ", "))
		return
	}
	d.EachPair(body, func(k, v *yaml.Node) {
		switch k.Value {
		case "test_name":
		case "name":
			d.DecodeKey("name", v, &t.CustomName)
		case "description":
			d.DecodeKey("description", v, &t.Description)
		case "column_name":
			d.DecodeKey("column_name", v, &t.ColumnName)
		case "config":
			var c Config
			c.DecodeNode(d, v)
			for ck, cv := range c.Values {
				if _, dup := t.Config.KeyPos[ck]; dup {
					d.Diags.Errorf(c.KeyPos[ck], "", "config %q is set twice", ck)
					continue
				}
				t.Config.Values, t.Config.KeyPos = setConfig(t.Config.Values, t.Config.KeyPos, ck, cv, c.KeyPos[ck])
			}
			t.Config.Pos = c.Pos
		case "arguments":
			a := d.Resolve(v)
			if IsNull(a) {
				return
			}
			if a.Kind != yaml.MappingNode {
				d.key = "arguments"
				d.TypeError(a, "a mapping of test arguments")
				d.key = ""
				return
			}
			d.EachPair(a, func(ak, av *yaml.Node) { t.setArg(d, ak, av) })
		default:
			if testConfigArgs[k.Value] {
				if _, dup := t.Config.KeyPos[k.Value]; dup {
					d.Errorf(k, "", "config %q is set twice", k.Value)
					return
				}
				if val, ok := d.configValue(k.Value, v); ok {
					t.Config.Values, t.Config.KeyPos = setConfig(t.Config.Values, t.Config.KeyPos, k.Value, val, d.Pos(v))
				}
				return
			}
			t.setArg(d, k, v)
		}
	})
}

func (t *TestSpec) setArg(d *Decoder, k, v *yaml.Node) {
	if _, dup := t.ArgPos[k.Value]; dup {
		d.Errorf(k, "", "argument %q of test %s is given twice", k.Value, t.Name)
		return
	}
	if t.Args == nil {
		t.Args = map[string]any{}
		t.ArgPos = map[string]diag.Pos{}
	}
	t.Args[k.Value] = d.Plain(v)
	t.ArgPos[k.Value] = d.Pos(v)
}

func setConfig(vals map[string]any, pos map[string]diag.Pos, k string, v any, p diag.Pos) (map[string]any, map[string]diag.Pos) {
	if vals == nil {
		vals, pos = map[string]any{}, map[string]diag.Pos{}
	}
	vals[k], pos[k] = v, p
	return vals, pos
}

// Source is an entry of `sources:`.
type Source struct {
	Name          string         `yaml:"name,required"`
	Description   string         `yaml:"description"`
	Database      string         `yaml:"database"`
	Schema        string         `yaml:"schema"`
	Loader        string         `yaml:"loader"`
	LoadedAtField string         `yaml:"loaded_at_field"`
	LoadedAtQuery string         `yaml:"loaded_at_query"`
	Freshness     *Freshness     `yaml:"freshness"`
	Quoting       Quoting        `yaml:"quoting"`
	Meta          map[string]any `yaml:"meta"`
	Tags          StringOrList   `yaml:"tags"`
	Config        Config         `yaml:"config"`
	Overrides     string         `yaml:"overrides"`
	Tables        []*SourceTable `yaml:"tables"`
	Pos           diag.Pos       `yaml:"-"`
}

// SourceTable is an entry of a source's `tables:`.
type SourceTable struct {
	Name          string         `yaml:"name,required"`
	Identifier    string         `yaml:"identifier"`
	Description   string         `yaml:"description"`
	LoadedAtField string         `yaml:"loaded_at_field"`
	LoadedAtQuery string         `yaml:"loaded_at_query"`
	Freshness     *Freshness     `yaml:"freshness"` // nil: inherit; Disabled: `freshness: null`
	Columns       []*Column      `yaml:"columns"`
	DataTests     []*TestSpec    `yaml:"data_tests,alias=tests"`
	Meta          map[string]any `yaml:"meta"`
	Tags          StringOrList   `yaml:"tags"`
	Quoting       Quoting        `yaml:"quoting"`
	Config        Config         `yaml:"config"`
	External      any            `yaml:"external"`
	Docs          *Docs          `yaml:"docs"`
	Pos           diag.Pos       `yaml:"-"`
}

// Freshness is a source freshness SLA. `freshness: null` gives Disabled.
type Freshness struct {
	WarnAfter  *FreshnessRule `yaml:"warn_after"`
	ErrorAfter *FreshnessRule `yaml:"error_after"`
	Filter     string         `yaml:"filter"`
	Disabled   bool           `yaml:"-"`
	Pos        diag.Pos       `yaml:"-"`
}

type freshnessFields Freshness

// Expected names the shape for messages.
func (*Freshness) Expected() string { return "a mapping with warn_after/error_after, or null" }

// DecodeNode implements NodeDecoder.
func (f *Freshness) DecodeNode(d *Decoder, n *yaml.Node) {
	n = d.Resolve(n)
	if IsNull(n) {
		*f = Freshness{Disabled: true, Pos: d.Pos(n)}
		return
	}
	d.Decode(n, (*freshnessFields)(f))
}

// FreshnessPeriods are the units of a freshness rule.
var FreshnessPeriods = []string{"minute", "hour", "day"}

// FreshnessRule is `{count: 15, period: minute}`.
type FreshnessRule struct {
	Count  int      `yaml:"count,required"`
	Period string   `yaml:"period,required"`
	Pos    diag.Pos `yaml:"-"`
}

type freshnessRuleFields FreshnessRule

// DecodeNode implements NodeDecoder, checking count and period.
func (r *FreshnessRule) DecodeNode(d *Decoder, n *yaml.Node) {
	n = d.Resolve(n)
	if IsNull(n) {
		return
	}
	before := len(d.Diags)
	d.Decode(n, (*freshnessRuleFields)(r))
	if len(d.Diags) > before || n.Kind != yaml.MappingNode {
		return
	}
	if r.Count <= 0 {
		d.Errorf(valueOf(n, "count"), "", "freshness count must be a positive integer, got %d", r.Count)
	}
	d.CheckEnum(valueOf(n, "period"), "freshness period", r.Period, FreshnessPeriods)
}

// ExposureTypes and ExposureMaturities are the allowed values.
var (
	ExposureTypes      = []string{"dashboard", "notebook", "analysis", "ml", "application"}
	ExposureMaturities = []string{"low", "medium", "high"}
)

// Exposure is an entry of `exposures:`.
type Exposure struct {
	Name        string              `yaml:"name,required"`
	Label       string              `yaml:"label"`
	Type        string              `yaml:"type,required"`
	Maturity    string              `yaml:"maturity"`
	URL         string              `yaml:"url"`
	Description string              `yaml:"description"`
	DependsOn   []Reference         `yaml:"depends_on"`
	Owner       *Owner              `yaml:"owner,required"`
	Meta        map[string]any      `yaml:"meta"`
	Tags        StringOrList        `yaml:"tags"`
	Config      Config              `yaml:"config"`
	KeyPos      map[string]diag.Pos `yaml:"-"`
	Pos         diag.Pos            `yaml:"-"`
}

type exposureFields Exposure

// DecodeNode implements NodeDecoder, checking the enumerations.
func (e *Exposure) DecodeNode(d *Decoder, n *yaml.Node) {
	d.Decode(n, (*exposureFields)(e))
	n = d.Resolve(n)
	if e.Type != "" {
		d.CheckEnum(valueOf(n, "type"), "exposure type", e.Type, ExposureTypes)
	}
	if e.Maturity != "" {
		d.CheckEnum(valueOf(n, "maturity"), "exposure maturity", e.Maturity, ExposureMaturities)
	}
	if e.Owner != nil && e.Owner.Name == "" && e.Owner.Email == "" {
		d.Diags.Errorf(e.Owner.Pos, "", "exposure owner needs a name or an email")
	}
}

// Owner is an exposure's or group's owner.
type Owner struct {
	Name  string         `yaml:"name"`
	Email string         `yaml:"email"`
	Meta  map[string]any `yaml:",inline"` // dbt allows extra owner properties
	Pos   diag.Pos       `yaml:"-"`
}

// Reference is one parsed depends_on entry: ref('m'), ref('pkg', 'm'),
// ref('m', v=2), source('s', 't') or metric('m').
type Reference struct {
	Raw     string
	Kind    string   // ref, source or metric
	Args    []string // positional arguments
	Version string   // ref's v= / version=
	Pos     diag.Pos
}

// Expected names the shape for messages.
func (*Reference) Expected() string { return "a string like \"ref('model')\"" }

// DecodeNode implements NodeDecoder.
func (r *Reference) DecodeNode(d *Decoder, n *yaml.Node) {
	n = d.Resolve(n)
	r.Pos = d.Pos(n)
	if n.Kind != yaml.ScalarNode || IsNull(n) {
		d.TypeError(n, r.Expected())
		return
	}
	r.Raw = n.Value
	if !r.parse() {
		d.Errorf(n, "write \"ref('model_name')\" or \"source('source_name', 'table_name')\"", "invalid depends_on entry %q", n.Value)
	}
}

func (r *Reference) parse() bool {
	s := strings.TrimSpace(r.Raw)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{{"), "}}")
	s = strings.TrimSpace(s)
	open := strings.IndexByte(s, '(')
	if open < 0 || !strings.HasSuffix(s, ")") {
		return false
	}
	r.Kind = strings.TrimSpace(s[:open])
	inner := s[open+1 : len(s)-1]
	for _, part := range splitArgs(inner) {
		part = strings.TrimSpace(part)
		if kw, val, ok := strings.Cut(part, "="); ok && (strings.TrimSpace(kw) == "v" || strings.TrimSpace(kw) == "version") && r.Kind == "ref" {
			r.Version = unquote(strings.TrimSpace(val))
			continue
		}
		v, ok := unquoteStrict(part)
		if !ok {
			return false
		}
		r.Args = append(r.Args, v)
	}
	switch r.Kind {
	case "ref", "metric":
		return len(r.Args) == 1 || len(r.Args) == 2
	case "source":
		return len(r.Args) == 2
	}
	return false
}

func splitArgs(s string) []string {
	var parts []string
	var quote byte
	start := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == ',':
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	if strings.TrimSpace(s[start:]) != "" || len(parts) > 0 {
		parts = append(parts, s[start:])
	}
	return parts
}

func unquoteStrict(s string) (string, bool) {
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1], true
	}
	return "", false
}

func unquote(s string) string {
	if v, ok := unquoteStrict(s); ok {
		return v
	}
	return s
}

// Seed is an entry of `seeds:`.
type Seed struct {
	Name        string         `yaml:"name,required"`
	Description string         `yaml:"description"`
	Config      Config         `yaml:"config"`
	Columns     []*Column      `yaml:"columns"`
	DataTests   []*TestSpec    `yaml:"data_tests,alias=tests"`
	Meta        map[string]any `yaml:"meta"`
	Tags        StringOrList   `yaml:"tags"`
	Docs        *Docs          `yaml:"docs"`
	Pos         diag.Pos       `yaml:"-"`
}

// Snapshot is an entry of `snapshots:`.
type Snapshot struct {
	Name        string         `yaml:"name,required"`
	Description string         `yaml:"description"`
	Relation    string         `yaml:"relation"`
	Config      Config         `yaml:"config"`
	Columns     []*Column      `yaml:"columns"`
	DataTests   []*TestSpec    `yaml:"data_tests,alias=tests"`
	Meta        map[string]any `yaml:"meta"`
	Tags        StringOrList   `yaml:"tags"`
	Docs        *Docs          `yaml:"docs"`
	Pos         diag.Pos       `yaml:"-"`
}

// Macro is an entry of `macros:`.
type Macro struct {
	Name        string           `yaml:"name,required"`
	Description string           `yaml:"description"`
	Arguments   []*MacroArgument `yaml:"arguments"`
	Docs        *Docs            `yaml:"docs"`
	Meta        map[string]any   `yaml:"meta"`
	Pos         diag.Pos         `yaml:"-"`
}

// MacroArgument documents one macro argument.
type MacroArgument struct {
	Name        string   `yaml:"name,required"`
	Type        string   `yaml:"type"`
	Description string   `yaml:"description"`
	Pos         diag.Pos `yaml:"-"`
}

// Analysis is an entry of `analyses:`.
type Analysis struct {
	Name        string    `yaml:"name,required"`
	Description string    `yaml:"description"`
	Config      Config    `yaml:"config"`
	Columns     []*Column `yaml:"columns"`
	Docs        *Docs     `yaml:"docs"`
	Pos         diag.Pos  `yaml:"-"`
}

// Group is an entry of `groups:`.
type Group struct {
	Name        string   `yaml:"name,required"`
	Description string   `yaml:"description"`
	Owner       *Owner   `yaml:"owner,required"`
	Config      Config   `yaml:"config"`
	Pos         diag.Pos `yaml:"-"`
}

// LoadProperties parses and strictly decodes a schema property file.
func LoadProperties(file string, src []byte) (*Properties, diag.Diagnostics) {
	root, ds := Parse(file, src)
	if ds.HasErrors() {
		return nil, ds
	}
	p := &Properties{}
	if root == nil {
		return p, ds
	}
	d := NewDecoder(file)
	d.Decode(root, p)
	checkUniqueNames(d, p)
	ds.Append(d.Diags...)
	return p, ds
}

// checkUniqueNames reports a resource declared twice in one file.
func checkUniqueNames(d *Decoder, p *Properties) {
	check := func(kind string, names []string, pos []diag.Pos) {
		first := map[string]diag.Pos{}
		for i, name := range names {
			if prev, dup := first[name]; dup && name != "" {
				d.Diags.Errorf(pos[i], fmt.Sprintf("first declared at line %d", prev.Line), "%s %q is declared twice", kind, name)
				continue
			}
			first[name] = pos[i]
		}
	}
	var names []string
	var pos []diag.Pos
	reset := func() { names, pos = names[:0], pos[:0] }
	for _, m := range p.Models {
		if m != nil {
			names, pos = append(names, m.Name), append(pos, m.Pos)
		}
	}
	check("model", names, pos)
	reset()
	for _, s := range p.Sources {
		if s == nil {
			continue
		}
		names, pos = append(names, s.Name), append(pos, s.Pos)
		var tn []string
		var tp []diag.Pos
		for _, t := range s.Tables {
			if t != nil {
				tn, tp = append(tn, t.Name), append(tp, t.Pos)
			}
		}
		check("table", tn, tp)
	}
	check("source", names, pos)
}
