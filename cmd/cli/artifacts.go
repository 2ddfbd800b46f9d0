package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/runner"
)

// masker replaces every secret with asterisks; artifacts pass through it so
// a password that reached compiled SQL or an error message is never written.
type masker []string

func (m masker) mask(s string) string {
	for _, sec := range m {
		if maskable(sec) {
			s = strings.ReplaceAll(s, sec, "****")
		}
	}
	return s
}

// maskable reports whether a secret is long enough to mask: a shorter one
// would star out ordinary text.
func maskable(sec string) bool { return len(sec) >= 4 }

// masks reports whether mask can change anything.
func (m masker) masks() bool { return slices.ContainsFunc(m, maskable) }

// writeFile writes data, masked, to path, unless path already holds
// exactly that. Compiled and executed SQL rarely change from one run to
// the next, and reading a small file back costs a fraction of creating
// and renaming one: on this project's CI machines 20 us against 1-2 ms, so
// that writing target/compiled and target/run was most of a 1,000-model
// run's overhead.
func writeFile(path string, data []byte, secrets []string) error {
	if masked := masker(secrets).mask(string(data)); masked != string(data) {
		data = []byte(masked)
	}
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return writeFileWith(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeFileWith writes path from what write writes, through a temporary
// file renamed into place, so a failed write leaves the old file.
func writeFileWith(path string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return replaceFile(tmp, path)
}

// writeManifest writes manifest.json compact, as dbt does: indenting it
// took three times as long (10 of the 11 CPU-seconds of writing it at
// 100,000 models) for a file people read through tools. Without secrets
// to mask it is streamed to the file (Manifest.WriteJSON); with them it
// is masked whole, as every artifact is.
func writeManifest(targetDir string, m *compiler.Manifest, secrets []string) error {
	path := filepath.Join(targetDir, "manifest.json")
	if masker(secrets).masks() {
		var b bytes.Buffer
		if err := m.WriteJSON(&b); err != nil {
			return err
		}
		return writeFile(path, b.Bytes(), secrets)
	}
	return writeFileWith(path, m.WriteJSON)
}

// compiledPath is where a node's compiled SQL goes, as dbt lays it out:
// target/compiled/<project>/<file path>, tests under their schema file.
func compiledPath(targetDir string, n *compiler.Node) string {
	return filepath.Join(targetDir, "compiled", n.PackageName, nodeSQLPath(n))
}

func nodeSQLPath(n *compiler.Node) string {
	if n.ResourceType == compiler.Test && n.TestMetadata != nil {
		return filepath.Join(filepath.FromSlash(n.Path), n.Name+".sql")
	}
	if n.ResourceType == compiler.Snapshot {
		// A file may hold several snapshots, and YAML ones have no SQL file.
		if ext := filepath.Ext(n.Path); ext == ".yml" || ext == ".yaml" {
			return filepath.Join(filepath.FromSlash(n.Path), n.Name+".sql")
		}
		return filepath.Join(filepath.Dir(filepath.FromSlash(n.Path)), n.Name+".sql")
	}
	if n.ResourceType == compiler.Seed {
		return filepath.FromSlash(strings.TrimSuffix(n.Path, ".csv") + ".sql")
	}
	return filepath.FromSlash(n.Path)
}

func writeCompiled(targetDir string, m *compiler.Manifest, sel map[string]bool, secrets []string) error {
	for id := range sel {
		n, ok := m.Nodes[id]
		if !ok || n.CompiledSQL == "" {
			continue
		}
		if err := writeFile(compiledPath(targetDir, n), []byte(n.CompiledSQL+"\n"), secrets); err != nil {
			return err
		}
	}
	return nil
}

func writeExecuted(targetDir string, results []*runner.Result, secrets []string) error {
	for _, r := range results {
		if len(r.Statements) == 0 {
			continue
		}
		p := filepath.Join(targetDir, "run", r.Node.PackageName, nodeSQLPath(r.Node))
		if err := writeFile(p, []byte(strings.Join(r.Statements, ";\n\n")+";\n"), secrets); err != nil {
			return err
		}
	}
	return nil
}

type runResults struct {
	Metadata    map[string]any   `json:"metadata"`
	Results     []*runner.Result `json:"results"`
	ElapsedTime float64          `json:"elapsed_time"`
	Args        map[string]any   `json:"args"`
}

func writeRunResults(targetDir string, results []*runner.Result, elapsed time.Duration, args []string, secrets []string) error {
	if results == nil {
		results = []*runner.Result{}
	}
	rr := runResults{
		Metadata: map[string]any{
			"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json",
			"kiln_version":       compiler.Version,
			"generated_at":       time.Now().UTC().Format(time.RFC3339Nano),
			"invocation_id":      invocationID(),
		},
		Results:     results,
		ElapsedTime: elapsed.Seconds(),
		Args:        map[string]any{"invocation": args},
	}
	b, err := json.MarshalIndent(rr, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(targetDir, "run_results.json"), b, secrets)
}
