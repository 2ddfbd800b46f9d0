package cli

import (
	"fmt"
	"sort"

	ucli "github.com/urfave/cli/v2"
)

// debugCommand prints the resolved profile (secrets masked) and tests the
// connection with a trivial query.
func debugCommand(c *ucli.Context, e *env_) error {
	s, err := load(c, e)
	if err != nil {
		return err
	}
	p := s.profile
	w := e.stdout
	fmt.Fprintf(w, "kiln version: %s\n", "v"+s.manifest.Metadata.KilnVersion)
	fmt.Fprintf(w, "project:      %s (%s)\n", s.manifest.Metadata.ProjectName, s.projectDir)
	if p.File != "" {
		fmt.Fprintf(w, "profiles.yml: %s\n", p.File)
	} else {
		fmt.Fprintf(w, "profiles.yml: none found; using the default DuckDB target\n")
	}
	fmt.Fprintf(w, "profile:      %s\n", p.Target.ProfileName)
	fmt.Fprintf(w, "target:       %s\n", p.Target.Name)
	keys := make([]string, 0, len(p.Display))
	for k := range p.Display {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-14s %s\n", k+":", p.Display[k])
	}
	fmt.Fprintf(w, "Connection test: ")
	wh, err := openWarehouse(c.Context, p, s.projectDir)
	if err != nil {
		fmt.Fprintln(w, "FAILED")
		return err
	}
	defer wh.Close()
	if _, err := wh.QueryInt(c.Context, "select 1"); err != nil {
		fmt.Fprintln(w, "FAILED")
		return &exitError{code: exitFailed, msg: "error: " + masker(p.Secrets).mask(err.Error())}
	}
	fmt.Fprintln(w, "OK")
	return nil
}
