package yamlspec

import (
	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
)

// Project is dbt_project.yml (or kiln_project.yml).
type Project struct {
	Name                string              `yaml:"name,required"`
	Version             string              `yaml:"version"`
	ConfigVersion       int                 `yaml:"config-version"`
	Profile             string              `yaml:"profile"`
	ModelPaths          []string            `yaml:"model-paths,alias=source-paths"`
	SeedPaths           []string            `yaml:"seed-paths,alias=data-paths"`
	TestPaths           []string            `yaml:"test-paths"`
	MacroPaths          []string            `yaml:"macro-paths"`
	SnapshotPaths       []string            `yaml:"snapshot-paths"`
	AnalysisPaths       []string            `yaml:"analysis-paths"`
	DocsPaths           []string            `yaml:"docs-paths"`
	AssetPaths          []string            `yaml:"asset-paths"`
	TargetPath          string              `yaml:"target-path"`
	LogPath             string              `yaml:"log-path"`
	PackagesInstallPath string              `yaml:"packages-install-path"`
	CleanTargets        []string            `yaml:"clean-targets"`
	Vars                map[string]any      `yaml:"vars"` // project vars; a key naming a package may hold that package's vars
	Quoting             Quoting             `yaml:"quoting"`
	OnRunStart          StringOrList        `yaml:"on-run-start"`
	OnRunEnd            StringOrList        `yaml:"on-run-end"`
	RequireDbtVersion   any                 `yaml:"require-dbt-version"` // accepted and ignored
	Flags               map[string]any      `yaml:"flags"`
	Dispatch            *yaml.Node          `yaml:"dispatch"`      // kept raw
	QueryComment        any                 `yaml:"query-comment"` // kept raw
	RestrictAccess      bool                `yaml:"restrict-access"`
	Models              *ConfigTree         `yaml:"models"`
	Seeds               *ConfigTree         `yaml:"seeds"`
	Snapshots           *ConfigTree         `yaml:"snapshots"`
	Tests               *ConfigTree         `yaml:"data_tests,alias=tests"`
	Sources             *ConfigTree         `yaml:"sources"`
	Analyses            *ConfigTree         `yaml:"analyses"`
	Exposures           *ConfigTree         `yaml:"exposures"`
	UnitTests           *ConfigTree         `yaml:"unit_tests"`
	Metrics             *yaml.Node          `yaml:"metrics"`         // accepted, not validated
	SemanticModels      *yaml.Node          `yaml:"semantic-models"` // accepted, not validated
	SavedQueries        *yaml.Node          `yaml:"saved-queries"`   // accepted, not validated
	KeyPos              map[string]diag.Pos `yaml:"-"`
	Pos                 diag.Pos            `yaml:"-"`
}

// Quoting says which parts of relation names are quoted.
type Quoting struct {
	Database   *bool    `yaml:"database"`
	Schema     *bool    `yaml:"schema"`
	Identifier *bool    `yaml:"identifier"`
	Pos        diag.Pos `yaml:"-"`
}

// LoadProject parses and strictly decodes dbt_project.yml. Jinja inside
// values is kept as text for the compiler to render.
func LoadProject(file string, src []byte) (*Project, diag.Diagnostics) {
	root, ds := Parse(file, src)
	if ds.HasErrors() {
		return nil, ds
	}
	p := &Project{}
	if root == nil {
		ds.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, "a project needs at least `name:`", "the project file is empty")
		return p, ds
	}
	ds.Append(Decode(file, root, p)...)
	return p, ds
}
