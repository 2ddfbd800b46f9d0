package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/runner"
)

// opsCommands are the operations around builds: freshness, environments,
// reconciliation.
func opsCommands(e *env_) []*ucli.Command {
	return []*ucli.Command{
		{
			Name: "source", Usage: "source operations",
			Subcommands: []*ucli.Command{{
				Name: "freshness", Usage: "check sources against their freshness SLAs and write target/sources.json",
				Description: "Queries max(loaded_at_field) of every selected source table with a freshness:\nconfig and compares its age with warn_after and error_after. Exit code 1 when one\nis past error_after or cannot be checked.",
				Flags:       join(projectFlags(), []ucli.Flag{flagSelect(), flagExclude(), &ucli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "where to write sources.json (default: target/sources.json)"}}),
				Action:      func(c *ucli.Context) error { return freshnessCommand(c, e) },
			}},
		},
		{
			Name: "clean-env", Usage: "drop every relation (and schema) this target's models, seeds and snapshots create",
			Description: "For ephemeral CI environments, e.g. a target with schema: \"pr_{{ env_var('PR_NUMBER') }}\".\nPrints what it will drop and asks; --yes skips the question (required without a terminal).",
			Flags:       join(projectFlags(), []ucli.Flag{&ucli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "drop without asking"}}),
			Action:      func(c *ucli.Context) error { return cleanEnvCommand(c, e) },
		},
		{
			Name: "reconcile", Usage: "compare two relations (or one model in two targets) on row counts and measure sums per group",
			Description: "Examples:\n   kiln reconcile --left \"ref('fct_sales')\" --right legacy.daily_sales --group-by day,store_id --measures amount,qty --tolerance 0.5%\n   kiln reconcile --model fct_sales --left-target legacy --right-target dev --group-by day --measures amount\n   kiln reconcile        runs every check configured under meta: {reconcile: [...]} of the models\nExit code 1 when a group is outside tolerance or on one side only.",
			Flags:       join(projectFlags(), append([]ucli.Flag{flagSelect(), flagExclude()}, reconcileFlags()...)),
			Action:      func(c *ucli.Context) error { return reconcileCommand(c, e) },
		},
	}
}

type sourcesJSON struct {
	Metadata    map[string]any            `json:"metadata"`
	Results     []*runner.FreshnessResult `json:"results"`
	ElapsedTime float64                   `json:"elapsed_time"`
}

func freshnessCommand(c *ucli.Context, e *env_) error {
	s, err := load(c, e)
	if err != nil {
		return err
	}
	sel, err := s.selectTypes(c, []string{compiler.Source})
	if err != nil {
		return err
	}
	var srcs []*compiler.Node
	for id := range sel {
		n := s.manifest.Sources[id]
		if n == nil || n.Freshness == nil || (n.Freshness.WarnAfter == nil && n.Freshness.ErrorAfter == nil) {
			continue
		}
		if n.LoadedAtField == "" {
			s.out.info("freshness_skipped", "Skipping %s.%s: freshness is set but loaded_at_field is not", n.SourceName, n.Name)
			continue
		}
		srcs = append(srcs, n)
	}
	sort.Slice(srcs, func(i, j int) bool { return srcs[i].UniqueID < srcs[j].UniqueID })
	out := c.String("output")
	if out == "" {
		out = filepath.Join(s.targetDir, "sources.json")
	}
	start := time.Now()
	results := []*runner.FreshnessResult{}
	if len(srcs) == 0 {
		s.out.info("nothing_selected", "Nothing to do: no selected source has a freshness: config and a loaded_at_field.")
	} else {
		wh, err := openWarehouse(c.Context, s.profile, s.projectDir)
		if err != nil {
			return err
		}
		defer wh.Close()
		for i, n := range srcs {
			r := runner.CheckFreshness(c.Context, wh, n, time.Now().UTC())
			results = append(results, r)
			word := map[string]string{runner.FreshPass: "PASS", runner.FreshWarn: "WARN", runner.FreshError: "ERROR STALE", runner.FreshRuntimeError: "ERROR"}[r.Status]
			detail := fmt.Sprintf("max_loaded_at %s, %s ago", r.MaxLoadedAt, (time.Duration(r.MaxLoadedAtTimeAgoInS) * time.Second).String())
			if r.Error != "" {
				detail = r.Error
			}
			s.out.info("freshness", "%d of %d %s freshness of %s.%s [%s]", i+1, len(srcs), word, n.SourceName, n.Name, detail)
		}
	}
	b, _ := json.MarshalIndent(sourcesJSON{
		Metadata: map[string]any{
			"dbt_schema_version": "https://schemas.getdbt.com/dbt/sources/v3.json",
			"kiln_version":       compiler.Version,
			"generated_at":       time.Now().UTC().Format(time.RFC3339Nano),
		},
		Results: results, ElapsedTime: time.Since(start).Seconds(),
	}, "", "  ")
	if err := writeFile(out, b, s.profile.Secrets); err != nil {
		return &exitError{code: exitFailed, msg: "error: writing sources.json: " + err.Error()}
	}
	counts := map[string]int{}
	for _, r := range results {
		counts[r.Status]++
	}
	s.out.info("freshness_done", "Done. PASS=%d WARN=%d ERROR=%d RUNTIME_ERROR=%d TOTAL=%d", counts[runner.FreshPass], counts[runner.FreshWarn], counts[runner.FreshError], counts[runner.FreshRuntimeError], len(results))
	if s.e.getenv("GITHUB_ACTIONS") == "true" {
		for _, r := range results {
			level := map[string]string{runner.FreshWarn: "warning", runner.FreshError: "error", runner.FreshRuntimeError: "error"}[r.Status]
			if level == "" {
				continue
			}
			msg := r.Error
			if msg == "" {
				msg = fmt.Sprintf("last loaded %s (%.0fs ago)", r.MaxLoadedAt, r.MaxLoadedAtTimeAgoInS)
			}
			fmt.Fprintf(e.stdout, "::%s file=%s,line=%d,title=%s::%s\n", level, ghEscapeProperty(s.annotationPath(r.Node.Path)), max(r.Node.Pos.Line, 1), ghEscapeProperty("source "+r.Node.SourceName+"."+r.Node.Name+" "+strings.ToUpper(r.Status)), ghEscapeData(msg))
		}
	}
	if counts[runner.FreshError]+counts[runner.FreshRuntimeError] > 0 {
		return &exitError{code: exitFailed}
	}
	return nil
}
