package yamlspec

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
)

var (
	lineMsgRE   = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	anchorMsgRE = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
)

// Parse parses one YAML document into a node tree, with fastParse when the
// document is in its subset and yaml.v3 otherwise. Syntax errors become a
// diagnostic at the line yaml.v3 names (column 1, or the offending tab);
// duplicate keys in a mapping are errors too. An empty file gives a nil node
// and no diagnostics.
func Parse(file string, src []byte) (node *yaml.Node, ds diag.Diagnostics) {
	defer func() {
		// yaml.v3 has panicked on hostile input before; a load must not.
		if r := recover(); r != nil {
			node = nil
			ds = diag.Diagnostics{{Severity: diag.Error, Pos: diag.Pos{File: file, Line: 1, Col: 1},
				Summary: fmt.Sprintf("invalid YAML: %v", r)}}
		}
	}()
	doc, mayRepeatKeys, ok := fastParse(src)
	if !ok {
		mayRepeatKeys = true
		doc = new(yaml.Node)
		if err := yaml.Unmarshal(src, doc); err != nil {
			ds.Append(syntaxDiagnostic(file, src, err))
			return nil, ds
		}
	}
	root := documentRoot(doc)
	if root == nil {
		return nil, nil
	}
	if mayRepeatKeys { // the fast path checked every mapping as it built it
		checkDuplicateKeys(file, root, &ds)
	}
	return root, ds
}

func syntaxDiagnostic(file string, src []byte, err error) diag.Diagnostic {
	msg := err.Error()
	line, col := 1, 1
	text := strings.TrimPrefix(msg, "yaml: ")
	if m := lineMsgRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		text = m[2]
	} else if m := anchorMsgRE.FindStringSubmatch(msg); m != nil {
		if i := bytes.Index(src, []byte("*"+m[1])); i >= 0 {
			line, col = diag.LineCol(src, i)
		}
	}
	hint := "check the indentation and quoting on this line and the one before"
	switch {
	case strings.Contains(text, "cannot start any token"):
		if lt := lineOf(src, line); strings.Contains(lt, "\t") {
			col = strings.Index(lt, "\t") + 1
			hint = "YAML does not allow tabs for indentation; use spaces"
		} else {
			hint = "quote values that start with a special character such as @, ` or %"
		}
	case strings.Contains(text, "mapping values are not allowed"):
		hint = "quote values that contain \": \", or fix the indentation"
	case strings.Contains(text, "unknown anchor"):
		hint = "define the anchor with &name before using *name"
	case strings.Contains(text, "did not find expected key"), strings.Contains(text, "could not find expected ':'"):
		hint = "check the indentation: keys of one mapping must line up"
	case strings.Contains(text, "unexpected end of stream"):
		hint = "a quoted string or a [list] / {mapping} is not closed"
	case strings.Contains(text, "did not find expected ',' or ']'"), strings.Contains(text, "did not find expected ',' or '}'"):
		hint = "a flow [list] or {mapping} is not closed, or an item needs quotes"
	}
	return diag.Diagnostic{Severity: diag.Error, Pos: diag.Pos{File: file, Line: line, Col: col},
		Summary: "invalid YAML: " + text, Hint: hint}
}

func lineOf(src []byte, line int) string {
	for l := 1; len(src) > 0; l++ {
		end := bytes.IndexByte(src, '\n')
		if end < 0 {
			end = len(src)
		}
		if l == line {
			return string(src[:end])
		}
		if end == len(src) {
			break
		}
		src = src[end+1:]
	}
	return ""
}

// checkDuplicateKeys reports a key given twice in one mapping. Aliases are
// not followed: their anchors are checked where they are defined.
func checkDuplicateKeys(file string, n *yaml.Node, ds *diag.Diagnostics) {
	switch n.Kind {
	case yaml.MappingNode:
		var first map[string]*yaml.Node
		if len(n.Content) > 2 {
			first = make(map[string]*yaml.Node, len(n.Content)/2)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if first != nil && k.Kind == yaml.ScalarNode && !isMergeKey(k) {
				if prev, dup := first[k.Value]; dup {
					ds.Errorf(diag.Pos{File: file, Line: k.Line, Col: k.Column},
						fmt.Sprintf("first defined at line %d; remove one of them", prev.Line), "duplicate key %q", k.Value)
				} else {
					first[k.Value] = k
				}
			}
			checkDuplicateKeys(file, k, ds)
			checkDuplicateKeys(file, n.Content[i+1], ds)
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			checkDuplicateKeys(file, c, ds)
		}
	}
}
