package yamlspec

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
)

// configKind is the shape a known config's value must have.
type configKind int

const (
	cfgAny          configKind = iota
	cfgString                  // a scalar, kept as its text
	cfgBool                    // true or false
	cfgInt                     // an integer
	cfgStringOrInt             // e.g. lookback: '3 days' or 3
	cfgTags                    // a string or a list of strings, normalized to []string
	cfgStringOrList            // a string or a list of strings, kept as given
	cfgHooks                   // a string, a {sql, transaction} mapping, or a list of those; normalized to []any
	cfgMapping                 // a mapping, kept as map[string]any
	cfgStringMap               // a mapping of strings (column_types)
	cfgGrants                  // a mapping of privilege -> string or list of strings
)

type configSpec struct {
	kind configKind
	enum []string // allowed values, when the config is an enumeration
}

// knownConfigs are the configs dbt knows across models, seeds, snapshots,
// tests and sources. In dbt_project.yml they may be written without `+`;
// values are type-checked wherever they appear. Other configs are kept
// untouched (dbt allows custom configs).
var knownConfigs = map[string]configSpec{
	"materialized":               {kind: cfgString},
	"schema":                     {kind: cfgString},
	"alias":                      {kind: cfgString},
	"database":                   {kind: cfgString},
	"tags":                       {kind: cfgTags},
	"enabled":                    {kind: cfgBool},
	"full_refresh":               {kind: cfgBool},
	"keep_previous_version":      {kind: cfgBool}, // Kiln: keep <id>__kiln_prev for kiln restore
	"unique_key":                 {kind: cfgStringOrList},
	"incremental_strategy":       {kind: cfgString, enum: []string{"merge", "delete+insert", "append", "microbatch"}},
	"incremental_predicates":     {kind: cfgStringOrList},
	"on_schema_change":           {kind: cfgString, enum: []string{"ignore", "fail", "append_new_columns", "sync_all_columns"}},
	"on_configuration_change":    {kind: cfgString, enum: []string{"apply", "continue", "fail"}},
	"event_time":                 {kind: cfgString},
	"lookback":                   {kind: cfgStringOrInt},
	"arrival_time":               {kind: cfgString},
	"batch_size":                 {kind: cfgString, enum: []string{"hour", "day", "month", "year"}},
	"begin":                      {kind: cfgString},
	"concurrent_batches":         {kind: cfgBool},
	"column_types":               {kind: cfgStringMap},
	"quote_columns":              {kind: cfgBool},
	"delimiter":                  {kind: cfgString},
	"persist_docs":               {kind: cfgMapping},
	"pre-hook":                   {kind: cfgHooks},
	"post-hook":                  {kind: cfgHooks},
	"grants":                     {kind: cfgGrants},
	"meta":                       {kind: cfgMapping},
	"docs":                       {kind: cfgMapping},
	"contract":                   {kind: cfgMapping},
	"quoting":                    {kind: cfgMapping},
	"group":                      {kind: cfgString},
	"access":                     {kind: cfgString, enum: []string{"private", "protected", "public"}},
	"sql_header":                 {kind: cfgString},
	"severity":                   {kind: cfgString, enum: []string{"warn", "error"}},
	"where":                      {kind: cfgString},
	"limit":                      {kind: cfgInt},
	"warn_if":                    {kind: cfgString},
	"error_if":                   {kind: cfgString},
	"fail_calc":                  {kind: cfgString},
	"store_failures":             {kind: cfgBool},
	"store_failures_as":          {kind: cfgString, enum: []string{"table", "view", "ephemeral"}},
	"snowflake_warehouse":        {kind: cfgString},
	"query_tag":                  {kind: cfgString},
	"transient":                  {kind: cfgBool},
	"cluster_by":                 {kind: cfgStringOrList},
	"automatic_clustering":       {kind: cfgBool},
	"copy_grants":                {kind: cfgBool},
	"secure":                     {kind: cfgBool},
	"target_lag":                 {kind: cfgString},
	"strategy":                   {kind: cfgString, enum: []string{"timestamp", "check"}},
	"updated_at":                 {kind: cfgString},
	"check_cols":                 {kind: cfgStringOrList},
	"target_schema":              {kind: cfgString},
	"target_database":            {kind: cfgString},
	"invalidate_hard_deletes":    {kind: cfgBool},
	"hard_deletes":               {kind: cfgString, enum: []string{"ignore", "invalidate", "new_record"}},
	"dbt_valid_to_current":       {kind: cfgString},
	"snapshot_meta_column_names": {kind: cfgMapping},
	"loaded_at_field":            {kind: cfgString},
	"freshness":                  {kind: cfgAny},
}

// canonicalConfig maps spellings dbt accepts for one config to one name.
func canonicalConfig(name string) string {
	switch name {
	case "pre_hook":
		return "pre-hook"
	case "post_hook":
		return "post-hook"
	}
	return name
}

// IsKnownConfig reports whether name (without `+`) is a config dbt knows.
func IsKnownConfig(name string) bool {
	_, ok := knownConfigs[canonicalConfig(name)]
	return ok
}

var knownConfigNames = func() []string {
	names := make([]string, 0, len(knownConfigs))
	for k := range knownConfigs {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}()

// isTemplate reports whether a scalar is Jinja rendered later (dbt renders
// dbt_project.yml configs: enabled: "{{ target.name == 'prod' }}").
func isTemplate(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && (strings.Contains(n.Value, "{{") || strings.Contains(n.Value, "{%"))
}

// configValue type-checks the value of config name and returns it as a
// plain value; ok is false when it was reported as invalid.
func (d *Decoder) configValue(name string, n *yaml.Node) (any, bool) {
	n = d.Resolve(n)
	spec, known := knownConfigs[name]
	if !known || spec.kind == cfgAny || IsNull(n) {
		return d.Plain(n), true
	}
	if isTemplate(n) {
		// Rendered later; only its rendered text can be checked. Text
		// configs (hooks, tags) are normalized as usual below.
		switch spec.kind {
		case cfgString, cfgBool, cfgInt, cfgStringOrInt, cfgMapping, cfgStringMap, cfgGrants:
			return n.Value, true
		}
	}
	saved := d.key
	d.key = name
	defer func() { d.key = saved }()
	switch spec.kind {
	case cfgString:
		if n.Kind != yaml.ScalarNode {
			d.TypeError(n, "a string")
			return nil, false
		}
		if spec.enum != nil {
			v := n.Value
			if name == "severity" {
				v = strings.ToLower(v)
			}
			if !d.CheckEnum(n, name, v, spec.enum) {
				return nil, false
			}
			return v, true
		}
		return n.Value, true
	case cfgBool:
		b, ok := scalarBool(n)
		if !ok {
			d.TypeError(n, "a boolean (true or false)")
			return nil, false
		}
		return b, true
	case cfgInt:
		i, ok := scalarInt(n)
		if !ok {
			d.TypeError(n, "an integer")
			return nil, false
		}
		return int(i), true
	case cfgStringOrInt:
		if n.Kind != yaml.ScalarNode {
			d.TypeError(n, "a string or an integer")
			return nil, false
		}
		return scalarValue(n), true
	case cfgTags, cfgStringOrList:
		var s StringOrList
		before := len(d.Diags)
		s.DecodeNode(d, n)
		if len(d.Diags) > before {
			return nil, false
		}
		if spec.kind == cfgTags {
			return []string(s), true
		}
		if n.Kind == yaml.ScalarNode {
			return n.Value, true
		}
		out := make([]any, len(s))
		for i, v := range s {
			out[i] = v
		}
		return out, true
	case cfgHooks:
		items := []*yaml.Node{n}
		if n.Kind == yaml.SequenceNode {
			items = n.Content
		}
		out := make([]any, 0, len(items))
		ok := true
		for _, it := range items {
			it = d.Resolve(it)
			switch {
			case it.Kind == yaml.ScalarNode && !IsNull(it):
				out = append(out, it.Value)
			case it.Kind == yaml.MappingNode:
				var h struct {
					SQL         string `yaml:"sql,required"`
					Transaction *bool  `yaml:"transaction"`
				}
				before := len(d.Diags)
				d.decodeStruct(it, reflectValue(&h))
				if len(d.Diags) > before {
					ok = false
					continue
				}
				m := map[string]any{"sql": h.SQL}
				if h.Transaction != nil {
					m["transaction"] = *h.Transaction
				}
				out = append(out, m)
			default:
				d.TypeError(it, "SQL text or a {sql, transaction} mapping")
				ok = false
			}
		}
		return out, ok
	case cfgMapping, cfgStringMap, cfgGrants:
		if n.Kind != yaml.MappingNode {
			d.TypeError(n, "a mapping")
			return nil, false
		}
		ok := true
		if spec.kind != cfgMapping {
			d.EachPair(n, func(k, v *yaml.Node) {
				v = d.Resolve(v)
				if v.Kind == yaml.ScalarNode && !IsNull(v) {
					return
				}
				if spec.kind == cfgGrants && v.Kind == yaml.SequenceNode {
					var s StringOrList
					before := len(d.Diags)
					s.DecodeNode(d, v)
					ok = ok && len(d.Diags) == before
					return
				}
				d.key = name + "." + k.Value
				if spec.kind == cfgGrants {
					d.TypeError(v, "a grantee or a list of grantees")
				} else {
					d.TypeError(v, "a string")
				}
				ok = false
			})
		}
		if !ok {
			return nil, false
		}
		return d.Plain(n), true
	}
	return d.Plain(n), true
}

// CheckEnum reports value at n when it is not one of options.
func (d *Decoder) CheckEnum(n *yaml.Node, what, value string, options []string) bool {
	for _, o := range options {
		if value == o {
			return true
		}
	}
	hint := diag.DidYouMean(value, options)
	if hint == "" {
		hint = "use one of: " + strings.Join(options, ", ")
	}
	d.Errorf(n, hint, "invalid %s %q", what, value)
	return false
}

// Config is a `config:` mapping of a resource in a properties file (or the
// configs of a test). Values are plain Go values; known configs are
// type-checked, tags normalized to []string and hooks to []any.
type Config struct {
	Values map[string]any
	KeyPos map[string]diag.Pos // position of each value
	Pos    diag.Pos
}

// Expected names the shape for messages.
func (Config) Expected() string { return "a mapping of configs" }

// DecodeNode implements NodeDecoder.
func (c *Config) DecodeNode(d *Decoder, n *yaml.Node) {
	n = d.Resolve(n)
	c.Pos = d.Pos(n)
	if IsNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.TypeError(n, c.Expected())
		return
	}
	c.Values = make(map[string]any, len(n.Content)/2)
	c.KeyPos = make(map[string]diag.Pos, len(n.Content)/2)
	d.EachPair(n, func(k, v *yaml.Node) { c.set(d, k, v) })
}

func (c *Config) set(d *Decoder, k, v *yaml.Node) bool {
	name := canonicalConfig(strings.TrimPrefix(k.Value, "+"))
	if _, dup := c.KeyPos[name]; dup {
		d.Errorf(k, fmt.Sprintf("keep only one %q", name), "config %q is set twice", name)
		return false
	}
	val, ok := d.configValue(name, v)
	if !ok {
		return false
	}
	if c.Values == nil {
		c.Values = map[string]any{}
		c.KeyPos = map[string]diag.Pos{}
	}
	c.Values[name] = val
	c.KeyPos[name] = d.Pos(v)
	return true
}

// Get returns a config value.
func (c Config) Get(name string) (any, bool) {
	v, ok := c.Values[name]
	return v, ok
}

// ConfigTree is a nested config block of dbt_project.yml (`models:`,
// `seeds:`, ...): configs at this level, and children by package or folder.
type ConfigTree struct {
	Configs   map[string]any
	ConfigPos map[string]diag.Pos
	Children  map[string]*ConfigTree
	Pos       diag.Pos
}

// Expected names the shape for messages.
func (*ConfigTree) Expected() string { return "a mapping of configs and folders" }

// DecodeNode implements NodeDecoder. A key is a config when it starts with
// `+` or is a known config name; otherwise it is a package or folder and
// must hold a mapping.
func (t *ConfigTree) DecodeNode(d *Decoder, n *yaml.Node) {
	n = d.Resolve(n)
	t.Pos = d.Pos(n)
	if IsNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.TypeError(n, t.Expected())
		return
	}
	cfg := Config{Values: t.Configs, KeyPos: t.ConfigPos}
	d.EachPair(n, func(k, v *yaml.Node) {
		k = d.Resolve(k)
		if k.Kind != yaml.ScalarNode {
			d.Errorf(k, "", "mapping keys must be strings, got %s", Describe(k))
			return
		}
		if strings.HasPrefix(k.Value, "+") || IsKnownConfig(k.Value) {
			cfg.set(d, k, v)
			return
		}
		rv := d.Resolve(v)
		if rv.Kind != yaml.MappingNode && !IsNull(rv) {
			hint := diag.DidYouMean(k.Value, knownConfigNames)
			if hint == "" {
				hint = fmt.Sprintf("write custom configs with a + prefix (+%s); a folder or package takes a mapping", k.Value)
			}
			d.Errorf(k, hint, "unknown config %q", k.Value)
			return
		}
		child := &ConfigTree{}
		d.DecodeKey(k.Value, v, child)
		if t.Children == nil {
			t.Children = map[string]*ConfigTree{}
		}
		t.Children[k.Value] = child
	})
	t.Configs, t.ConfigPos = cfg.Values, cfg.KeyPos
}

// Resolve merges configs from the root to the deepest child matching path
// ([project, folder..., file stem]); deeper levels override, except tags
// and hooks, which accumulate, and meta, which is merged key by key.
func (t *ConfigTree) Resolve(path []string) map[string]any {
	out := map[string]any{}
	t.along(path, func(n *ConfigTree) { MergeConfigs(out, n.Configs) })
	return out
}

// Value is Resolve(path)[key] for a key that is replaced, not merged
// (not tags, hooks or meta), without building the whole map.
func (t *ConfigTree) Value(path []string, key string) (v any, ok bool) {
	t.along(path, func(n *ConfigTree) {
		if x, has := n.Configs[key]; has {
			v, ok = x, true
		}
	})
	return v, ok
}

// along calls fn on t and on each subtree path leads to, outermost first.
func (t *ConfigTree) along(path []string, fn func(*ConfigTree)) {
	if t == nil {
		return
	}
	fn(t)
	node := t
	for _, seg := range path {
		child, ok := node.Children[seg]
		if !ok {
			return
		}
		fn(child)
		node = child
	}
}

// ResolvePos is Resolve that also returns where each resolved value was set.
func (t *ConfigTree) ResolvePos(path []string) (map[string]any, map[string]diag.Pos) {
	out := map[string]any{}
	pos := map[string]diag.Pos{}
	if t == nil {
		return out, pos
	}
	MergeConfigs(out, t.Configs)
	for k, p := range t.ConfigPos {
		pos[k] = p
	}
	node := t
	for _, seg := range path {
		child, ok := node.Children[seg]
		if !ok {
			break
		}
		MergeConfigs(out, child.Configs)
		for k, p := range child.ConfigPos {
			pos[k] = p
		}
		node = child
	}
	return out, pos
}

// MergeConfigs applies src over dst the way dbt layers configs: tags are
// appended without repeats, pre-/post-hooks appended, meta merged by key,
// everything else replaced.
func MergeConfigs(dst, src map[string]any) {
	for k, v := range src {
		switch k {
		case "tags":
			cur, _ := dst[k].([]string)
			add, _ := v.([]string)
			merged := append([]string(nil), cur...)
			for _, tag := range add {
				if !contains(merged, tag) {
					merged = append(merged, tag)
				}
			}
			dst[k] = merged
		case "pre-hook", "post-hook":
			cur, _ := dst[k].([]any)
			add, _ := v.([]any)
			dst[k] = append(append([]any(nil), cur...), add...)
		case "meta":
			cur, _ := dst[k].(map[string]any)
			add, ok := v.(map[string]any)
			if !ok {
				dst[k] = v
				continue
			}
			merged := make(map[string]any, len(cur)+len(add))
			for mk, mv := range cur {
				merged[mk] = mv
			}
			for mk, mv := range add {
				merged[mk] = mv
			}
			dst[k] = merged
		default:
			dst[k] = v
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
