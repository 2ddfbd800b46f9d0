package compiler

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/dialect"
)

// hookSQL reads a pre-hook/post-hook config: a string, a {sql: ...}
// mapping, or a list of those.
func hookSQL(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if strings.TrimSpace(x) == "" {
			return nil
		}
		return []string{x}
	case map[string]any:
		if s, ok := x["sql"].(string); ok {
			return hookSQL(s)
		}
		return nil
	case []string:
		var out []string
		for _, s := range x {
			out = append(out, hookSQL(s)...)
		}
		return out
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, hookSQL(e)...)
		}
		return out
	}
	return hookSQL(fmt.Sprint(v))
}

// renderHooks renders the models' pre-hook and post-hook configs with the
// model's context (this is its final relation) and the project's
// on-run-start and on-run-end hooks.
func (c *compilation) renderHooks() {
	c.parallel(len(c.models), func(i int) {
		r := c.models[i]
		n := r.node
		if n.ResourceType != Model || n.Materialized() == "ephemeral" {
			return
		}
		n.PreHooks = c.renderHookList(n.Path, hookSQL(n.Config["pre-hook"]), i)
		n.PostHooks = c.renderHookList(n.Path, hookSQL(n.Config["post-hook"]), i)
	})
	c.manifest.OnRunStart = c.renderHookList(c.project.File, c.project.OnRunStart, -1)
	c.manifest.OnRunEnd = c.renderHookList(c.project.File, c.project.OnRunEnd, -1)
	c.manifest.QueryNodes = c.queryNodeIDs()
}

// renderHookList renders hook templates for the model at index self (-1:
// project hooks); empty results are dropped.
func (c *compilation) renderHookList(file string, hooks []string, self int) []string {
	var out []string
	for _, h := range hooks {
		sql, err := c.renderSnippet(file, h, self, nil)
		if err != nil {
			c.addRenderError(file, err)
			continue
		}
		if sql = strings.TrimSpace(sql); sql != "" {
			out = append(out, sql)
		}
	}
	return out
}

// renderSnippet renders a template that is not a file of its own (a
// hook, an operation) after relations are final: this and ref() print
// their final names.
func (c *compilation) renderSnippet(file, src string, self int, extra map[string]any) (string, error) {
	if !strings.Contains(src, "{{") && !strings.Contains(src, "{%") {
		return src, nil
	}
	tmpl, ds := c.env.CompileString(file, src)
	if ds.HasErrors() {
		return "", ds[0]
	}
	var rc renderCall
	g := c.globals(self, &rc, false)
	if self >= 0 {
		g["this"] = relationRefOf(c.models[self].node)
	}
	g["results"] = []any{}
	for k, v := range extra {
		g[k] = v
	}
	out, err := c.render(tmpl, g)
	if err != nil {
		if d, ok := err.(diag.Diagnostic); ok && d.Pos.File == file && file == c.project.File {
			d.Pos = diag.Pos{File: file} // the hook's text is not the file's
			err = d
		}
		return "", err
	}
	return c.substitute(out, nil), nil
}

// Operation compiles the project and renders the macro name with args as
// keyword arguments (kiln run-operation), returning the SQL it produced
// for the caller to execute. run_query() inside the macro uses opts.Query.
func Operation(ctx context.Context, opts Options, name string, args map[string]any) (string, diag.Diagnostics) {
	d, ok := dialect.ForAdapter(opts.Target.Type)
	if !ok {
		return "", diag.Diagnostics{{Summary: fmt.Sprintf("unknown adapter type %q", opts.Target.Type)}}
	}
	c := newCompilation(ctx, withDefaults(opts), d)
	c.run()
	if c.failed() {
		c.diags.Resolve(c.files)
		return "", c.diags.Sort()
	}
	if !c.env.HasMacro(name) {
		hint := diag.DidYouMean(name, c.env.Macros())
		if hint == "" {
			hint = "run-operation calls a macro defined in macros/"
		}
		return "", diag.Diagnostics{{Severity: diag.Error, Pos: diag.Pos{File: "run-operation"}, Summary: fmt.Sprintf("no macro named '%s'", name), Hint: hint}}
	}
	var b strings.Builder
	b.WriteString("{{ " + name + "(")
	extra := map[string]any{}
	i := 0
	for k, v := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		arg := fmt.Sprintf("kiln_op_arg_%d", i)
		fmt.Fprintf(&b, "%s=%s", k, arg)
		extra[arg] = v
		i++
	}
	b.WriteString(") }}")
	sql, err := c.renderSnippet("run-operation", b.String(), -1, extra)
	if err != nil {
		c.addRenderError("run-operation", err)
		c.diags.Resolve(c.files)
		return "", c.diags.Sort()
	}
	c.diags.Resolve(c.files)
	return strings.TrimSpace(sql), c.diags.Sort()
}

func withDefaults(opts Options) Options {
	if opts.Env == nil {
		opts.Env = func(string) (string, bool) { return "", false }
	}
	if opts.Parallelism <= 0 {
		opts.Parallelism = runtime.GOMAXPROCS(0)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return opts
}
