package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/runner"
)

// The flags are made afresh for each app: urfave/cli writes into a flag
// as it parses the command line, and the tests run apps side by side in
// one process.

func flagProjectDir() *ucli.StringFlag {
	return &ucli.StringFlag{Name: "project-dir", Value: ".", Usage: "directory holding dbt_project.yml (or kiln_project.yml)", EnvVars: []string{"KILN_PROJECT_DIR", "DBT_PROJECT_DIR"}}
}

func flagProfiles() *ucli.StringFlag {
	return &ucli.StringFlag{Name: "profiles-dir", Usage: "directory holding profiles.yml (default: the project dir, then ~/.kiln, then ~/.dbt)", EnvVars: []string{"KILN_PROFILES_DIR", "DBT_PROFILES_DIR"}}
}

func flagTarget() *ucli.StringFlag {
	return &ucli.StringFlag{Name: "target", Aliases: []string{"t"}, Usage: "profile target to use (default: the profile's target:)"}
}

func flagVars() *ucli.StringFlag {
	return &ucli.StringFlag{Name: "vars", Usage: "variables as YAML or JSON, e.g. --vars '{start_date: 2024-01-01}'"}
}

func flagSelect() *ucli.StringSliceFlag {
	return &ucli.StringSliceFlag{Name: "select", Aliases: []string{"s"}, Usage: "nodes to include: names, +a, a+, 2+a+1, @a, tag:x, path:dir, config.materialized:table, resource_type:seed, source:s; space = union, comma = intersection"}
}

func flagExclude() *ucli.StringSliceFlag {
	return &ucli.StringSliceFlag{Name: "exclude", Usage: "nodes to leave out (same grammar as --select)"}
}

func flagSelector() *ucli.StringFlag {
	return &ucli.StringFlag{Name: "selector", Usage: "a named selector from selectors.yml"}
}

func flagThreads() *ucli.IntFlag {
	return &ucli.IntFlag{Name: "threads", Usage: "nodes run at once (default: the profile's threads, else 4)"}
}

func flagFull() *ucli.BoolFlag {
	return &ucli.BoolFlag{Name: "full-refresh", Usage: "rebuild incremental models from scratch"}
}

func flagEventStart() *ucli.StringFlag {
	return &ucli.StringFlag{Name: "event-time-start", Usage: "microbatch models: reprocess batches from this time (YYYY-MM-DD[ HH:MM:SS])"}
}

func flagEventEnd() *ucli.StringFlag {
	return &ucli.StringFlag{Name: "event-time-end", Usage: "microbatch models: reprocess batches up to this time (exclusive)"}
}

func flagFailFast() *ucli.BoolFlag {
	return &ucli.BoolFlag{Name: "fail-fast", Aliases: []string{"x"}, Usage: "stop at the first failure"}
}

func flagLogFormat() *ucli.StringFlag {
	return &ucli.StringFlag{Name: "log-format", Value: "text", Usage: "text or json (one JSON object per event)"}
}

func flagNoColor() *ucli.BoolFlag {
	return &ucli.BoolFlag{Name: "no-color", Usage: "no colour even on a terminal (NO_COLOR does the same)"}
}

func projectFlags() []ucli.Flag {
	return []ucli.Flag{flagProjectDir(), flagProfiles(), flagTarget(), flagVars(), flagLogFormat(), flagNoColor(), flagWait()}
}

func selectFlags() []ucli.Flag {
	return []ucli.Flag{flagSelect(), flagExclude(), flagSelector(), flagState()}
}

func runFlags() []ucli.Flag {
	return []ucli.Flag{flagThreads(), flagFull(), flagFailFast(), flagEventStart(), flagEventEnd(), flagDefer(), flagJUnit()}
}

func join(groups ...[]ucli.Flag) []ucli.Flag {
	var out []ucli.Flag
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func commands(e *env_) []*ucli.Command {
	exec := func(kind string, tests bool) ucli.ActionFunc {
		return func(c *ucli.Context) error { return runCommand(c, e, kind, tests) }
	}
	return []*ucli.Command{
		{
			Name: "init", Usage: "scaffold a small working project", ArgsUsage: "[DIR]",
			Description: "Writes a project with a DuckDB profile, a seed, two models and tests into DIR\n(default: kiln_project). Then: cd DIR && kiln build",
			Action:      func(c *ucli.Context) error { return initCommand(c, e) },
		},
		{
			Name: "parse", Usage: "load and validate the project, write target/manifest.json",
			Flags:  projectFlags(),
			Action: func(c *ucli.Context) error { _, err := load(c, e); return err },
		},
		{
			Name: "compile", Usage: "render every node's SQL to target/compiled/",
			Flags:  join(projectFlags(), selectFlags()),
			Action: func(c *ucli.Context) error { return compileCommand(c, e) },
		},
		{Name: "seed", Usage: "load seeds/*.csv into tables", Flags: join(projectFlags(), selectFlags(), runFlags()), Action: exec("seed", false)},
		{Name: "run", Usage: "build models in dependency order", Flags: join(projectFlags(), selectFlags(), runFlags()), Action: exec("run", false)},
		{Name: "test", Usage: "run data tests", Flags: join(projectFlags(), selectFlags(), runFlags()), Action: exec("test", true)},
		{Name: "snapshot", Usage: "build SCD2 snapshots", Flags: join(projectFlags(), selectFlags(), runFlags()), Action: exec("snapshot", false)},
		{
			Name: "build", Usage: "seeds, models, snapshots and tests together in dependency order",
			Description: "Each node's tests run right after it; a failing test or model skips everything\ndownstream of it, and independent branches go on.\n\nExamples:\n   kiln build\n   kiln build --select +fact_sales      fact_sales and everything it needs\n   kiln build -s tag:daily --threads 8",
			Flags:       join(projectFlags(), selectFlags(), runFlags()),
			Action:      exec("build", true),
		},
		{
			Name: "ls", Aliases: []string{"list"}, Usage: "print the selected nodes",
			Flags:  join(projectFlags(), selectFlags(), []ucli.Flag{&ucli.StringSliceFlag{Name: "resource-type", Usage: "only these types (model, seed, test, source, exposure)"}, &ucli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "name", Usage: "name, selector, path or json"}}),
			Action: func(c *ucli.Context) error { return lsCommand(c, e) },
		},
		docsCommand(e),
		operationCommand(e),
		{
			Name: "debug", Usage: "show the resolved profile and test the connection",
			Flags:  projectFlags(),
			Action: func(c *ucli.Context) error { return debugCommand(c, e) },
		},
		{
			Name: "clean", Usage: "remove target/ (and the project's clean-targets)",
			Flags:  []ucli.Flag{flagProjectDir()},
			Action: func(c *ucli.Context) error { return cleanCommand(c, e) },
		},
	}
}

// session is a loaded project.
type session struct {
	e          *env_
	projectDir string
	targetDir  string
	profile    *compiler.Profile
	manifest   *compiler.Manifest
	out        *printer
	started    time.Time
	state      *compiler.State  // --state DIR
	opts       compiler.Options // what the project was compiled with (operation.go)
}

func invalid(format string, args ...any) error {
	return &exitError{code: exitInvalid, msg: fmt.Sprintf(format, args...)}
}

// load reads and compiles the project and writes manifest.json. Any
// problem is printed with its position and becomes exit code 2.
func load(c *ucli.Context, e *env_) (*session, error) {
	s := &session{e: e, started: time.Now()}
	s.out = newPrinter(e.stdout, c.String("log-format"), c.Bool("no-color"), e.lookup)
	if f := c.String("log-format"); f != "text" && f != "json" {
		return nil, invalid("error: --log-format must be text or json, not %q", f)
	}
	s.projectDir = c.String("project-dir")
	if c.Bool("wait") {
		c.Context = withWait(c.Context, func(msg string) { s.out.info("waiting", "%s", msg) })
	}
	fsys := compiler.DirFS(s.projectDir)
	project, ds := compiler.LoadProject(fsys, e.lookup)
	if ds.HasErrors() {
		return nil, s.fail(ds, nil)
	}
	s.targetDir = filepath.Join(s.projectDir, project.TargetPath)
	if err := s.loadState(c); err != nil {
		return nil, err
	}

	prof, ds := s.resolveProfile(c, project)
	if ds.HasErrors() {
		return nil, s.fail(ds, nil)
	}
	s.profile = prof
	prof.Secrets = secretsOf(c).merge(prof.Secrets)
	vars, err := parseVars(c.String("vars"))
	if err != nil {
		return nil, s.fail(diag.Diagnostics{{Pos: diag.Pos{File: "--vars"}, Summary: err.Error(), Hint: "pass YAML or JSON, e.g. --vars '{start_date: \"2024-01-01\"}'"}}, nil)
	}
	s.opts = compiler.Options{FS: fsys, Target: prof.Target, Vars: vars, Env: e.lookup, Project: project, Log: s.templateLog}
	m, ds := compiler.Compile(c.Context, s.opts)
	if ds.HasErrors() {
		return nil, s.fail(ds, m)
	}
	if len(ds) > 0 {
		s.out.diagnostics(ds, m.Files)
	}
	s.manifest = m
	s.recordTarget(m)
	prof.Secrets = secretsOf(c).merge(prof.Secrets) // and env_var() secrets the templates read
	if err := writeManifest(s.targetDir, m, prof.Secrets); err != nil {
		return nil, &exitError{code: exitFailed, msg: "error: writing artifacts: " + err.Error()}
	}
	return s, nil
}

// fail prints diagnostics and returns the exit-2 error.
func (s *session) fail(ds diag.Diagnostics, m *compiler.Manifest) error {
	files := map[string][]byte{}
	for _, d := range ds {
		if d.Pos.File == "" {
			continue
		}
		if _, ok := files[d.Pos.File]; ok {
			continue
		}
		p := d.Pos.File
		if !filepath.IsAbs(p) {
			p = filepath.Join(s.projectDir, p)
		}
		if b, err := os.ReadFile(p); err == nil {
			files[d.Pos.File] = b
		}
	}
	s.out.diagnostics(ds, files)
	return &exitError{code: exitInvalid}
}

func parseVars(s string) (map[string]any, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var v map[string]any
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("--vars is not a YAML or JSON mapping: %v", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if v == nil {
		return nil, errors.New("--vars must be a mapping of names to values")
	}
	return v, nil
}

// resolveProfile finds profiles.yml (--profiles-dir, the project dir,
// ~/.kiln, ~/.dbt) and resolves the target; with no profiles.yml anywhere
// it uses DuckDB at target/<project>.duckdb.
func (s *session) resolveProfile(c *ucli.Context, p *compiler.Project) (*compiler.Profile, diag.Diagnostics) {
	var dirs []string
	if d := c.String("profiles-dir"); d != "" {
		dirs = []string{d}
	} else {
		dirs = []string{s.projectDir}
		if h := homeDir(s.e); h != "" {
			dirs = append(dirs, filepath.Join(h, ".kiln"), filepath.Join(h, ".dbt"))
		}
	}
	for _, d := range dirs {
		file := filepath.Join(d, "profiles.yml")
		src, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		display := file
		if rel, err := filepath.Rel(s.projectDir, file); err == nil && !strings.HasPrefix(rel, "..") {
			display = rel
		}
		return compiler.LoadProfile(display, src, compiler.ProfileRequest{
			Profile: p.ProfileName(), Target: c.String("target"), Env: s.e.lookup,
			ProjectName: p.Name, ProjectDir: s.projectDir, TargetPath: p.TargetPath,
		})
	}
	if c.String("profiles-dir") != "" {
		return nil, diag.Diagnostics{{Pos: diag.Pos{File: "--profiles-dir"}, Summary: fmt.Sprintf("no profiles.yml in %s", c.String("profiles-dir")), Hint: "point --profiles-dir at the directory that holds profiles.yml"}}
	}
	if t := c.String("target"); t != "" && t != "dev" {
		return nil, diag.Diagnostics{{Pos: diag.Pos{File: "--target"}, Summary: fmt.Sprintf("unknown target '%s': there is no profiles.yml, so the only target is 'dev' (DuckDB)", t), Hint: "create profiles.yml in the project, ~/.kiln or ~/.dbt"}}
	}
	return compiler.DefaultProfile(p.Name, s.projectDir, p.TargetPath), nil
}

func compileCommand(c *ucli.Context, e *env_) error {
	s, err := load(c, e)
	if err != nil {
		return err
	}
	sel, err := s.selectNodes(c, "compile")
	if err != nil {
		return err
	}
	if err := writeCompiled(s.targetDir, s.manifest, sel, s.profile.Secrets); err != nil {
		return &exitError{code: exitFailed, msg: "error: writing compiled SQL: " + err.Error()}
	}
	s.out.info("compiled", "Compiled %d node%s to %s", countExecutable(s.manifest, sel), plural(countExecutable(s.manifest, sel)), filepath.Join(s.targetDir, "compiled"))
	return nil
}

func countExecutable(m *compiler.Manifest, sel map[string]bool) int {
	n := 0
	for id := range sel {
		if node, ok := m.Nodes[id]; ok && node.CompiledSQL != "" {
			n++
		}
	}
	return n
}

// resource types each command executes.
var commandTypes = map[string][]string{
	"seed":     {compiler.Seed},
	"run":      {compiler.Model},
	"test":     {compiler.Test},
	"snapshot": {compiler.Snapshot},
	"build":    {compiler.Seed, compiler.Model, compiler.Test, compiler.Snapshot},
	"compile":  {compiler.Model, compiler.Test, compiler.Seed, compiler.Snapshot},
	"ls":       {compiler.Model, compiler.Test, compiler.Seed, compiler.Snapshot, compiler.Source, compiler.Exposure},
}

func (s *session) selectNodes(c *ucli.Context, command string) (map[string]bool, error) {
	return s.selectTypes(c, commandTypes[command])
}

func (s *session) selectTypes(c *ucli.Context, types []string) (map[string]bool, error) {
	sel, ds := compiler.Select(s.manifest, compiler.SelectOptions{
		Include:  c.StringSlice("select"),
		Exclude:  c.StringSlice("exclude"),
		Selector: c.String("selector"),
		Types:    types,
		FS:       os.DirFS(s.projectDir),
		State:    s.stateChecker(),
	})
	if ds.HasErrors() {
		return nil, s.fail(ds, s.manifest)
	}
	return sel, nil
}

func runCommand(c *ucli.Context, e *env_, command string, tests bool) error {
	s, err := load(c, e)
	if err != nil {
		return err
	}
	sel, err := s.selectNodes(c, command)
	if err != nil {
		return err
	}
	if err := s.renderQueries(c, sel); err != nil { // run_query() of selected models (operation.go)
		return err
	}
	if err := writeCompiled(s.targetDir, s.manifest, sel, s.profile.Secrets); err != nil {
		return &exitError{code: exitFailed, msg: "error: writing compiled SQL: " + err.Error()}
	}
	m := s.manifest
	s.out.info("run_started", "Running with kiln=%s on %s target '%s'", compiler.Version, s.profile.Target.Type, s.profile.Target.Name)
	s.out.info("found", "%s", foundLine(m))
	n := countRunnable(m, sel)
	if n == 0 {
		s.out.info("nothing_selected", "Nothing to do: the selection matched no %s.", strings.Join(commandTypes[command], ", "))
		return writeRunResults(s.targetDir, nil, time.Since(s.started), c.Args().Slice(), s.profile.Secrets)
	}
	wh, err := openWarehouse(c.Context, s.profile, s.projectDir)
	if err != nil {
		return err
	}
	defer wh.Close()
	if err := s.applyDefer(c, wh, sel); err != nil {
		return err
	}
	threads := c.Int("threads")
	if threads <= 0 {
		threads = s.profile.Target.Threads
	}
	if threads <= 0 {
		threads = 4
	}
	s.out.info("concurrency", "Concurrency: %d threads (target='%s')", threads, s.profile.Target.Name)
	s.out.info("blank", "")
	evStart, err := parseTimeFlag(c, "event-time-start")
	if err != nil {
		return err
	}
	evEnd, err := parseTimeFlag(c, "event-time-end")
	if err != nil {
		return err
	}
	start := time.Now()
	if err := s.runHooks(c, wh, "on-run-start", m.OnRunStart); err != nil {
		return err
	}
	results := runner.Run(c.Context, wh, runner.Plan{Manifest: m, Selected: sel, TestsGate: command == "build"}, runner.Options{
		Threads: threads, FailFast: c.Bool("fail-fast"), FullRefresh: c.Bool("full-refresh"), OnEvent: s.out.event,
		EventTimeStart: evStart, EventTimeEnd: evEnd,
	})
	if err := s.runHooks(c, wh, "on-run-end", m.OnRunEnd); err != nil {
		return err
	}
	elapsed := time.Since(start)
	s.out.summary(results, elapsed, s.targetDir)
	if err := writeRunResults(s.targetDir, results, elapsed, os.Args, s.profile.Secrets); err != nil {
		return &exitError{code: exitFailed, msg: "error: writing run_results.json: " + err.Error()}
	}
	if err := writeExecuted(s.targetDir, results, s.profile.Secrets); err != nil {
		return &exitError{code: exitFailed, msg: "error: writing target/run: " + err.Error()}
	}
	if err := s.reportCI(c, command, results, elapsed); err != nil {
		return err
	}
	if c.Context.Err() != nil {
		return &exitError{code: exitSignal, msg: "kiln: interrupted"}
	}
	for _, r := range results {
		switch r.Status {
		case runner.StatusError, runner.StatusFail, runner.StatusSkipped, runner.StatusCancelled:
			return &exitError{code: exitFailed}
		}
	}
	return nil
}

func countRunnable(m *compiler.Manifest, sel map[string]bool) int {
	n := 0
	for id := range sel {
		if node, ok := m.Nodes[id]; ok && node.Executable() {
			n++
		}
	}
	return n
}

func foundLine(m *compiler.Manifest) string {
	counts := map[string]int{}
	for _, n := range m.Nodes {
		counts[n.ResourceType]++
	}
	counts[compiler.Source] = len(m.Sources)
	counts[compiler.Exposure] = len(m.Exposures)
	var parts []string
	for _, t := range []struct{ key, one, many string }{
		{compiler.Model, "model", "models"}, {compiler.Seed, "seed", "seeds"}, {compiler.Snapshot, "snapshot", "snapshots"},
		{compiler.Test, "data test", "data tests"}, {compiler.Source, "source", "sources"}, {compiler.Exposure, "exposure", "exposures"},
	} {
		if c := counts[t.key]; c > 0 {
			w := t.many
			if c == 1 {
				w = t.one
			}
			parts = append(parts, fmt.Sprintf("%d %s", c, w))
		}
	}
	if len(parts) == 0 {
		return "Found nothing to run"
	}
	return "Found " + strings.Join(parts, ", ")
}

func lsCommand(c *ucli.Context, e *env_) error {
	s, err := load(c, e)
	if err != nil {
		return err
	}
	types := commandTypes["ls"]
	if rt := c.StringSlice("resource-type"); len(rt) > 0 {
		types = rt
	}
	sel, err := s.selectTypes(c, types)
	if err != nil {
		return err
	}
	var ids []string
	for id := range sel {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		n, _ := s.manifest.Lookup(id)
		switch c.String("output") {
		case "path":
			fmt.Fprintln(e.stdout, n.Path)
		case "selector":
			fmt.Fprintln(e.stdout, strings.Join(n.FQN, "."))
		case "json":
			b, _ := json.Marshal(map[string]any{"unique_id": n.UniqueID, "name": n.Name, "resource_type": n.ResourceType, "original_file_path": n.Path, "config": n.Config, "tags": n.Tags})
			fmt.Fprintln(e.stdout, string(b))
		default:
			fmt.Fprintln(e.stdout, strings.Join(n.FQN, "."))
		}
	}
	return nil
}

func cleanCommand(c *ucli.Context, e *env_) error {
	dir := c.String("project-dir")
	project, ds := compiler.LoadProject(os.DirFS(dir), e.lookup)
	targets := []string{"target"}
	if !ds.HasErrors() {
		targets = project.CleanTargets
	}
	for _, t := range targets {
		p := filepath.Join(dir, t)
		abs, _ := filepath.Abs(p)
		root, _ := filepath.Abs(dir)
		if !strings.HasPrefix(abs, root+string(filepath.Separator)) {
			return invalid("error: refusing to clean %s: it is outside the project directory", p)
		}
		if err := os.RemoveAll(p); err != nil {
			return &exitError{code: exitFailed, msg: "error: " + err.Error()}
		}
		fmt.Fprintf(e.stdout, "Removed %s\n", p)
	}
	return nil
}

func parseTimeFlag(c *ucli.Context, name string) (*time.Time, error) {
	v := c.String(name)
	if v == "" {
		return nil, nil
	}
	for _, layout := range []string{time.DateTime, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return &t, nil
		}
	}
	return nil, invalid("error: --%s %q is not a date or timestamp\n  hint: write YYYY-MM-DD or 'YYYY-MM-DD HH:MM:SS'", name, v)
}
