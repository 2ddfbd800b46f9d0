package compiler

import (
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/dialect"
)

// mergeConfig sets key in cfg the way dbt layers configs: later values
// replace earlier ones, except tags (accumulated) and meta (merged).
func mergeConfig(cfg map[string]any, key string, v any) {
	key = strings.TrimPrefix(key, "+")
	switch key {
	case "tags":
		cfg[key] = unionStrings(stringList(cfg[key]), stringList(v))
	case "meta":
		dst, _ := cfg[key].(map[string]any)
		merged := map[string]any{}
		for k, x := range dst {
			merged[k] = x
		}
		if src, ok := v.(map[string]any); ok {
			for k, x := range src {
				merged[k] = x
			}
		}
		cfg[key] = merged
	default:
		cfg[key] = v
	}
}

// normalizeConfig applies dbt's defaults and aliases.
func normalizeConfig(cfg map[string]any) {
	if _, ok := cfg["enabled"]; !ok {
		cfg["enabled"] = true
	}
	if pre, ok := cfg["pre_hook"]; ok {
		cfg["pre-hook"] = pre
		delete(cfg, "pre_hook")
	}
	if post, ok := cfg["post_hook"]; ok {
		cfg["post-hook"] = post
		delete(cfg, "post_hook")
	}
}

// stringList reads a config value that may be a string or a list.
func stringList(v any) []string { return dialect.ConfigStrings(v) }

func unionStrings(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string{}, a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

var modelMaterializations = []string{"view", "table", "ephemeral", "incremental"}

// validateConfig checks the configs Kiln acts on.
func (c *compilation) validateConfig(n *Node) {
	if n.ResourceType != Model {
		return
	}
	mat, ok := n.Config["materialized"]
	if !ok {
		return
	}
	s, isStr := mat.(string)
	if !isStr {
		c.errorf(c.configPos(n, "materialized"), "write materialized='table'", "materialized must be a string, got %v", mat)
		return
	}
	known := false
	for _, m := range modelMaterializations {
		if s == m {
			known = true
		}
	}
	if !known {
		c.errorf(c.configPos(n, "materialized"), diag.DidYouMean(s, modelMaterializations)+" (supported: view, table, ephemeral, incremental)", "unknown materialization '%s' for model '%s'", s, n.Name)
	}
}

// configPos finds where a config key is set for n: in the model file's
// config() call when it is there, else the project file's entry.
func (c *compilation) configPos(n *Node, key string) diag.Pos {
	if i := strings.Index(n.RawSQL, key); i >= 0 && n.RawSQL != "" {
		return diag.Pos{File: n.Path, Offset: i}
	}
	if p, ok := c.project.ConfigPos(n.ResourceType, n.FQN, key); ok {
		return p
	}
	return n.Pos
}
