package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"sync"

	ucli "github.com/urfave/cli/v2"
)

// secretName reports whether an environment variable's value is a secret
// by its name, as dbt treats DBT_ENV_SECRET_*: any name containing SECRET,
// PASSWORD, TOKEN or KEY (PRIVATE_KEY, API_KEY, PASSPHRASE_KEY...).
func secretName(name string) bool {
	u := strings.ToUpper(name)
	for _, w := range []string{"SECRET", "PASSWORD", "TOKEN", "KEY"} {
		if strings.Contains(u, w) {
			return true
		}
	}
	return false
}

// secretGuard collects the secrets of one invocation (values of secret
// environment variables read by env_var() anywhere, and the profile's
// passwords, keys and tokens) and masks them in everything the CLI prints.
type secretGuard struct {
	mu   sync.RWMutex
	vals []string
}

// lookup wraps an environment lookup so secret values it returns are
// recorded before anyone can print them.
func (g *secretGuard) lookup(env func(string) (string, bool)) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env(k)
		if ok && secretName(k) {
			g.add(v)
		}
		return v, ok
	}
}

// add records secrets with the forms they take once escaped in JSON or a
// SQL literal.
func (g *secretGuard) add(secrets ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, s := range secrets {
		if len(s) < 4 {
			continue // masking a short value would garble ordinary text
		}
		forms := []string{s, strings.ReplaceAll(s, "'", "''")}
		if b, err := json.Marshal(s); err == nil {
			forms = append(forms, string(b[1:len(b)-1]))
		}
		for _, f := range forms {
			if !slices.Contains(g.vals, f) {
				g.vals = append(g.vals, f)
			}
		}
	}
	// Longest first, so a secret containing another is masked whole.
	slices.SortFunc(g.vals, func(a, b string) int { return len(b) - len(a) })
}

// merge adds secrets and returns every secret known, for the artifact
// writers that take a list.
func (g *secretGuard) merge(secrets []string) []string {
	g.add(secrets...)
	g.mu.RLock()
	defer g.mu.RUnlock()
	return slices.Clone(g.vals)
}

func (g *secretGuard) mask(s string) string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return masker(g.vals).mask(s)
}

// writer masks secrets in each write. The printer writes whole lines, so
// a secret is never split across two writes.
func (g *secretGuard) writer(w io.Writer) io.Writer { return &maskingWriter{w: w, g: g} }

type maskingWriter struct {
	w io.Writer
	g *secretGuard
}

func (m *maskingWriter) Write(p []byte) (int, error) {
	m.g.mu.RLock()
	hit := false
	for _, s := range m.g.vals {
		if bytes.Contains(p, []byte(s)) {
			hit = true
			break
		}
	}
	m.g.mu.RUnlock()
	if !hit {
		return m.w.Write(p)
	}
	if _, err := io.WriteString(m.w, m.g.mask(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Fd lets the printer ask whether the writer is a terminal (for colour).
func (m *maskingWriter) Fd() uintptr {
	if f, ok := m.w.(interface{ Fd() uintptr }); ok {
		return f.Fd()
	}
	return ^uintptr(0)
}

// secretsOf is the invocation's guard (RunEnv puts it in the app).
func secretsOf(c *ucli.Context) *secretGuard {
	if g, ok := c.App.Metadata["secrets"].(*secretGuard); ok {
		return g
	}
	return &secretGuard{}
}
