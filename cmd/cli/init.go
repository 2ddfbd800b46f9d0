package cli

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	ucli "github.com/urfave/cli/v2"
)

//go:embed scaffold
var scaffold embed.FS

var projectNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// initCommand writes the scaffold project into DIR.
func initCommand(c *ucli.Context, e *env_) error {
	dir := c.Args().First()
	if dir == "" {
		dir = "kiln_project"
	}
	name := filepath.Base(filepath.Clean(dir))
	name = strings.ReplaceAll(name, "-", "_")
	if !projectNameRe.MatchString(name) {
		return invalid("error: %q is not a valid project name\n  hint: use letters, digits and underscores, starting with a letter", name)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return invalid("error: %s already exists and is not empty\n  hint: choose a new directory, kiln init never overwrites files", dir)
	}
	err := fs.WalkDir(scaffold, "scaffold", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, "scaffold"), "/")
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		b, err := scaffold.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(rel, ".tmpl") {
			rel = strings.TrimSuffix(rel, ".tmpl")
			b = []byte(strings.ReplaceAll(string(b), "{{NAME}}", name))
			if rel == "gitignore" {
				rel = ".gitignore"
			}
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
	if err != nil {
		return &exitError{code: exitFailed, msg: "error: " + err.Error()}
	}
	fmt.Fprintf(e.stdout, "Created project %s in %s\n\nNext:\n  cd %s\n  kiln build        # load the seed, build both models, run the tests\n  kiln ls           # list the nodes\n", name, dir, dir)
	return nil
}
