package compiler

import (
	"fmt"
	"io/fs"
	"path"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/yamlspec"
)

// ProjectFiles are the names a project file may have, in lookup order.
var ProjectFiles = []string{"dbt_project.yml", "kiln_project.yml"}

// Project is a loaded dbt_project.yml with dbt's defaults applied.
type Project struct {
	*yamlspec.Project
	File string
}

// ProfileName is the profile the project uses (its name by default).
func (p *Project) ProfileName() string {
	if p.Profile != "" {
		return p.Profile
	}
	return p.Name
}

// LoadProject reads the project file from fsys.
func LoadProject(fsys fs.FS, env func(string) (string, bool)) (*Project, diag.Diagnostics) {
	var file string
	var src []byte
	for _, name := range ProjectFiles {
		b, err := fs.ReadFile(fsys, name)
		if err == nil {
			file, src = name, b
			break
		}
	}
	if file == "" {
		return nil, diag.Diagnostics{{Summary: "no dbt_project.yml (or kiln_project.yml) in the project directory",
			Hint: "run kiln from the project's directory, pass --project-dir, or create a project with 'kiln init'"}}
	}
	// env_var() is rendered in the project file as in profiles.yml.
	root, ds := yamlspec.Parse(file, src)
	if ds.HasErrors() {
		return nil, ds
	}
	if root == nil {
		ds.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, "a project needs at least `name:`", "the project file is empty")
		return nil, ds
	}
	if env == nil {
		env = func(string) (string, bool) { return "", false }
	}
	ds.Append(yamlspec.ExpandEnv(file, root, env)...)
	sp := &yamlspec.Project{}
	ds.Append(yamlspec.Decode(file, root, sp)...)
	if ds.HasErrors() {
		return nil, ds
	}
	p := &Project{Project: sp, File: file}
	if !validName(p.Name) {
		ds.Errorf(p.KeyPos["name"], "use letters, digits and underscores, starting with a letter", "invalid project name %q", p.Name)
	}
	def := func(v *[]string, d string) {
		if len(*v) == 0 {
			*v = []string{d}
		}
		for i, s := range *v {
			(*v)[i] = path.Clean(s)
		}
	}
	def(&p.ModelPaths, "models")
	def(&p.SeedPaths, "seeds")
	def(&p.TestPaths, "tests")
	def(&p.MacroPaths, "macros")
	def(&p.SnapshotPaths, "snapshots")
	if p.TargetPath == "" {
		p.TargetPath = "target"
	}
	if len(p.CleanTargets) == 0 {
		p.CleanTargets = []string{p.TargetPath}
	}
	if p.Vars == nil {
		p.Vars = map[string]any{}
	}
	// Vars scoped to this project (vars: {my_project: {...}}) apply too.
	if scoped, ok := p.Vars[p.Name].(map[string]any); ok {
		for k, v := range scoped {
			p.Vars[k] = v
		}
	}
	return p, ds
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}

func (p *Project) tree(resourceType string) *yamlspec.ConfigTree {
	switch resourceType {
	case Model:
		return p.Models
	case Seed:
		return p.Seeds
	case Snapshot:
		return p.Snapshots
	case Test:
		return p.Tests
	case Source:
		return p.Sources
	case Exposure:
		return p.Exposures
	}
	return nil
}

// ConfigFor resolves the project-level configs of a node from its fqn.
func (p *Project) ConfigFor(resourceType string, fqn []string) map[string]any {
	return p.tree(resourceType).Resolve(fqn)
}

// ConfigValue is ConfigFor(resourceType, fqn)[key] for a key whose value
// replaces the outer one (such as materialized), without building the map.
func (p *Project) ConfigValue(resourceType string, fqn []string, key string) (any, bool) {
	return p.tree(resourceType).Value(fqn, key)
}

// ConfigPos tells where in the project file a config of the node was set.
func (p *Project) ConfigPos(resourceType string, fqn []string, key string) (diag.Pos, bool) {
	_, pos := p.tree(resourceType).ResolvePos(fqn)
	ps, ok := pos[key]
	return ps, ok
}

func (p *Project) String() string { return fmt.Sprintf("project %s", p.Name) }
