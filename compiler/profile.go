package compiler

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/yamlspec"
)

// Profile is the resolved connection for one target.
type Profile struct {
	Target Target
	// File is the profiles.yml read ("" for the built-in default).
	File   string
	DuckDB struct {
		Path       string
		Settings   map[string]string
		Extensions []string
	}
	Snowflake *yamlspec.SnowflakeOutput
	// Secrets must never be printed or written.
	Secrets []string
	// Display is the profile as `kiln debug` shows it, secrets masked.
	Display map[string]string
}

// ProfileRequest says which profile and target to resolve.
type ProfileRequest struct {
	Profile     string
	Target      string // --target; empty: the profile's default
	Env         func(string) (string, bool)
	ProjectName string
	ProjectDir  string
	TargetPath  string
}

// DefaultProfile is what Kiln uses when there is no profiles.yml at all:
// DuckDB at <project>/target/<project>.duckdb, schema main.
func DefaultProfile(projectName, projectDir, targetPath string) *Profile {
	p := &Profile{}
	p.Target = Target{ProfileName: projectName, Name: "dev", Type: "duckdb", Schema: "main", Threads: 4, Public: map[string]any{}}
	p.DuckDB.Path = filepath.Join(projectDir, targetPath, projectName+".duckdb")
	p.Display = map[string]string{"type": "duckdb", "path": p.DuckDB.Path, "schema": "main", "threads": "4"}
	return p
}

// LoadProfile resolves req from the profiles.yml text src.
func LoadProfile(file string, src []byte, req ProfileRequest) (*Profile, diag.Diagnostics) {
	ps, ds := yamlspec.LoadProfiles(file, src, req.Env)
	if ps == nil {
		return nil, ds
	}
	prof, ok := ps.Profiles[req.Profile]
	if !ok {
		names := make([]string, 0, len(ps.Profiles))
		for n := range ps.Profiles {
			names = append(names, n)
		}
		sort.Strings(names)
		hint := diag.DidYouMean(req.Profile, names)
		if hint == "" {
			hint = fmt.Sprintf("add a profile named %s to %s, or set profile: in dbt_project.yml (profiles here: %s)", req.Profile, file, strings.Join(names, ", "))
		}
		return nil, append(onlyOutsideProfiles(ds, ps), diag.Diagnostic{Pos: diag.Pos{File: file, Line: 1, Col: 1}, Summary: fmt.Sprintf("profile '%s' not found in %s", req.Profile, file), Hint: hint})
	}
	targetName := req.Target
	if targetName == "" {
		targetName = prof.Target
	}
	out, ok := prof.Outputs[targetName]
	if !ok {
		names := make([]string, 0, len(prof.Outputs))
		for n := range prof.Outputs {
			names = append(names, n)
		}
		sort.Strings(names)
		hint := diag.DidYouMean(targetName, names)
		if hint == "" {
			hint = "targets of this profile: " + strings.Join(names, ", ")
		}
		return nil, append(onlyOutsideProfiles(ds, ps), diag.Diagnostic{Pos: diag.Pos{File: "--target"}, Summary: fmt.Sprintf("unknown target '%s' in profile '%s' (%s)", targetName, req.Profile, file), Hint: hint})
	}
	// Problems in other profiles' or targets' outputs (an unset password of
	// prod while running dev) do not block this target, as in dbt.
	ds = onlyWithin(ds, out.Pos, prof, targetName, ps)
	if ds.HasErrors() {
		return nil, ds
	}
	p := &Profile{File: file, Secrets: ps.Secrets, Display: map[string]string{}}
	t := Target{ProfileName: req.Profile, Name: targetName, Type: out.Type, Threads: out.Threads(), Public: map[string]any{}}
	switch {
	case out.DuckDB != nil:
		o := out.DuckDB
		t.Schema = o.Schema
		if t.Schema == "" {
			t.Schema = "main"
		}
		path := o.Path
		switch {
		case path == "":
			path = filepath.Join(req.ProjectDir, req.TargetPath, req.ProjectName+".duckdb")
		case path == ":memory:" || strings.HasPrefix(path, "md:"):
		case !filepath.IsAbs(path):
			path = filepath.Join(req.ProjectDir, path)
		}
		p.DuckDB.Path = path
		p.DuckDB.Settings = map[string]string{}
		for k, v := range o.Settings {
			p.DuckDB.Settings[k] = fmt.Sprint(v)
		}
		for _, e := range o.Extensions {
			switch x := e.(type) {
			case string:
				p.DuckDB.Extensions = append(p.DuckDB.Extensions, x)
			case map[string]any:
				if n, ok := x["name"].(string); ok {
					p.DuckDB.Extensions = append(p.DuckDB.Extensions, n)
				}
			}
		}
		t.Public["path"] = path
		p.Display["path"] = path
	case out.Snowflake != nil:
		o := out.Snowflake
		p.Snowflake = o
		t.Schema, t.Database = o.Schema, o.Database
		for k, v := range map[string]string{"account": o.Account, "user": o.User, "role": o.Role, "warehouse": o.Warehouse} {
			t.Public[k] = v
			if v != "" {
				p.Display[k] = v
			}
		}
		if o.Password != "" {
			p.Display["password"] = "****"
		}
		if o.PrivateKey != "" || o.PrivateKeyPath != "" {
			p.Display["private_key"] = "****"
			if o.PrivateKeyPath != "" {
				p.Display["private_key_path"] = o.PrivateKeyPath
			}
		}
		if o.Token != "" {
			p.Display["token"] = "****"
		}
		if o.Authenticator != "" {
			p.Display["authenticator"] = o.Authenticator
		}
		p.Display["database"] = o.Database
	}
	if t.Threads <= 0 {
		t.Threads = 4
	}
	p.Display["type"] = t.Type
	p.Display["schema"] = t.Schema
	p.Display["threads"] = fmt.Sprint(t.Threads)
	p.Target = t
	return p, ds
}

// onlyWithin keeps the diagnostics that concern the chosen output (by line
// range: from its start to the start of the next sibling) or that are not
// inside any output at all (syntax errors, profile-level keys).
func onlyWithin(ds diag.Diagnostics, pos diag.Pos, prof *yamlspec.Profile, target string, ps *yamlspec.Profiles) diag.Diagnostics {
	var starts []int
	for _, p := range ps.Profiles {
		for _, o := range p.Outputs {
			starts = append(starts, o.Pos.Line)
		}
	}
	sort.Ints(starts)
	end := 1 << 30
	for _, s := range starts {
		if s > pos.Line {
			end = s
			break
		}
	}
	inAnyOutput := func(line int) bool {
		for _, s := range starts {
			if line >= s {
				return true
			}
		}
		return false
	}
	var out diag.Diagnostics
	for _, d := range ds {
		l := d.Pos.Line
		if (l >= pos.Line && l < end) || !inAnyOutput(l) {
			out = append(out, d)
		}
	}
	return out
}

// onlyOutsideProfiles keeps syntax-level problems when the profile itself
// could not be found.
func onlyOutsideProfiles(ds diag.Diagnostics, ps *yamlspec.Profiles) diag.Diagnostics {
	var out diag.Diagnostics
	for _, d := range ds {
		if d.Pos.Line <= 1 {
			out = append(out, d)
		}
	}
	return out
}
