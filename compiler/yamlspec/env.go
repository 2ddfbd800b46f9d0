package yamlspec

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
)

// envVarRE matches one `{{ env_var('X') }}` or `{{ env_var("X", 'default') }}`
// template, with an optional filter (`| int`, `| as_number`, ...).
var envVarRE = regexp.MustCompile(`\{\{-?\s*env_var\(\s*(?:'([^']*)'|"([^"]*)")\s*(?:,\s*(?:'([^']*)'|"([^"]*)"|([-+\w.]+))\s*)?\)\s*(?:\|\s*(\w+)\s*)?-?\}\}`)

// secretWords mark environment variables whose values must be masked.
var secretWords = []string{"SECRET", "PASSWORD", "TOKEN", "KEY"}

// IsSecretEnvName reports whether an environment variable holds a secret,
// by its name.
func IsSecretEnvName(name string) bool {
	up := strings.ToUpper(name)
	for _, w := range secretWords {
		if strings.Contains(up, w) {
			return true
		}
	}
	return false
}

// ExpandEnv rewrites, in place, scalar values of node that use
// `{{ env_var('X') }}` or `{{ env_var('X', 'default') }}`, reporting unset
// variables without a default at the scalar.
func ExpandEnv(file string, node *yaml.Node, lookup func(string) (string, bool)) diag.Diagnostics {
	_, ds := ExpandEnvSecrets(file, node, lookup)
	return ds
}

// ExpandEnvSecrets is ExpandEnv that also returns the values that came from
// variables named like secrets (SECRET, PASSWORD, TOKEN, KEY), for masking.
// A whole-value template with `| int` or `| as_number` becomes a number,
// `| as_bool` a boolean; otherwise the result is a string.
func ExpandEnvSecrets(file string, node *yaml.Node, lookup func(string) (string, bool)) ([]string, diag.Diagnostics) {
	e := envExpander{file: file, lookup: lookup}
	if node != nil {
		e.walk(node, false)
	}
	return e.secrets, e.diags
}

type envExpander struct {
	file    string
	lookup  func(string) (string, bool)
	secrets []string
	diags   diag.Diagnostics
}

func (e *envExpander) walk(n *yaml.Node, isKey bool) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			e.walk(c, false)
		}
	case yaml.MappingNode:
		for i, c := range n.Content {
			e.walk(c, i%2 == 0)
		}
	case yaml.ScalarNode:
		if !isKey && strings.Contains(n.Value, "env_var") {
			e.expand(n)
		}
	}
}

func (e *envExpander) expand(n *yaml.Node) {
	pos := diag.Pos{File: e.file, Line: n.Line, Col: n.Column}
	matches := envVarRE.FindAllStringSubmatchIndex(n.Value, -1)
	if len(matches) == 0 {
		if strings.Contains(n.Value, "{{") {
			e.diags.Errorf(pos, "write {{ env_var('NAME') }} or {{ env_var('NAME', 'default') }}", "cannot read the env_var() call in %q", n.Value)
		}
		return
	}
	whole := len(matches) == 1 && matches[0][0] == 0 && matches[0][1] == len(n.Value)
	var b strings.Builder
	last := 0
	filter := ""
	for _, m := range matches {
		b.WriteString(n.Value[last:m[0]])
		last = m[1]
		group := func(i int) (string, bool) {
			if m[2*i] < 0 {
				return "", false
			}
			return n.Value[m[2*i]:m[2*i+1]], true
		}
		name, ok := group(1)
		if !ok {
			name, _ = group(2)
		}
		def, hasDef := group(3)
		if !hasDef {
			def, hasDef = group(4)
		}
		if !hasDef {
			def, hasDef = group(5)
		}
		filter, _ = group(6)
		val, set := e.lookup(name)
		if !set {
			if !hasDef {
				e.diags.Errorf(pos, fmt.Sprintf("set %s in the environment, or give a default: {{ env_var('%s', 'default') }}", name, name),
					"environment variable %s is not set", name)
				return
			}
			val = def
		}
		if IsSecretEnvName(name) && val != "" {
			e.secrets = append(e.secrets, val)
		}
		b.WriteString(val)
	}
	b.WriteString(n.Value[last:])
	value := b.String()
	tag := "!!str"
	if whole {
		switch filter {
		case "", "string", "as_text":
		case "int":
			if _, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64); err != nil {
				e.diags.Errorf(pos, "", "env_var value %q is not an integer", value)
				return
			}
			value, tag = strings.TrimSpace(value), "!!int"
		case "as_number", "float":
			value = strings.TrimSpace(value)
			if _, err := strconv.ParseInt(value, 10, 64); err == nil {
				tag = "!!int"
			} else if _, err := strconv.ParseFloat(value, 64); err == nil {
				tag = "!!float"
			} else {
				e.diags.Errorf(pos, "", "env_var value %q is not a number", value)
				return
			}
		case "as_bool", "bool":
			switch strings.ToLower(strings.TrimSpace(value)) {
			case "true":
				value, tag = "true", "!!bool"
			case "false":
				value, tag = "false", "!!bool"
			default:
				e.diags.Errorf(pos, "", "env_var value %q is not true or false", value)
				return
			}
		case "as_native":
			tag = ""
		default:
			e.diags.Errorf(pos, "use | int, | as_number, | as_bool or | as_text", "unsupported filter %q on env_var()", filter)
			return
		}
	}
	n.Value = value
	n.Tag = tag
	if tag != "!!str" {
		n.Style = 0 // a plain scalar, so its tag is not forced back to string
	}
}
