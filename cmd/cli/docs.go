package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/runner/docsite"
)

func docsCommand(e *env_) *ucli.Command {
	return &ucli.Command{
		Name:  "docs",
		Usage: "generate and serve the documentation site (target/docs/)",
		Subcommands: []*ucli.Command{
			{
				Name:  "generate",
				Usage: "write target/catalog.json and the static site in target/docs/",
				Description: "Compiles the project, reads column names and types of every relation that exists,\n" +
					"traces column lineage through the compiled SQL and writes target/docs/index.html,\n" +
					"which opens from the file system with no server. Run results and source freshness\n" +
					"(target/run_results.json, target/sources.json) are shown when present.",
				Flags:  projectFlags(),
				Action: func(c *ucli.Context) error { return docsGenerate(c, e) },
			},
			{
				Name:   "serve",
				Usage:  "serve target/docs on 127.0.0.1",
				Flags:  append(projectFlags(), &ucli.IntFlag{Name: "port", Value: 8080, Usage: "port to listen on"}, &ucli.BoolFlag{Name: "open", Usage: "open the site in a browser"}),
				Action: func(c *ucli.Context) error { return docsServe(c, e) },
			},
		},
	}
}

func docsGenerate(c *ucli.Context, e *env_) error {
	s, err := load(c, e)
	if err != nil {
		return err
	}
	m := s.manifest
	ctx := c.Context
	wh, err := openWarehouse(ctx, s.profile, s.projectDir)
	if err != nil {
		return err
	}
	defer wh.Close()
	start := time.Now()
	cat, err := docsite.ReadCatalog(ctx, wh, m)
	if err != nil {
		return &exitError{code: exitFailed, msg: "error: " + err.Error()}
	}
	b, err := json.MarshalIndent(cat, "", "  ")
	if err != nil {
		return &exitError{code: exitFailed, msg: "error: " + err.Error()}
	}
	if err := writeFile(filepath.Join(s.targetDir, "catalog.json"), b, s.profile.Secrets); err != nil {
		return &exitError{code: exitFailed, msg: "error: writing catalog.json: " + err.Error()}
	}
	s.out.info("catalog", "Catalog: %d relation%s with columns (%s)", len(cat.Nodes)+len(cat.Sources), plural(len(cat.Nodes)+len(cat.Sources)), time.Since(start).Round(time.Millisecond))

	start = time.Now()
	parser, err := docsite.NewSQLParser(ctx, wh)
	if err != nil {
		return &exitError{code: exitFailed, msg: "error: opening a SQL parser: " + err.Error()}
	}
	defer parser.Close()
	lin := docsite.Lineage(ctx, parser, m, cat)
	if ctx.Err() != nil {
		return &exitError{code: exitSignal, msg: "kiln: interrupted"}
	}
	traced, untraced := 0, 0
	for _, l := range lin {
		for _, col := range l.Columns {
			if col.Untraced != "" {
				untraced++
			} else {
				traced++
			}
		}
	}
	s.out.info("lineage", "Column lineage: %d column%s traced, %d untraced (%s)", traced, plural(traced), untraced, time.Since(start).Round(time.Millisecond))

	site := docsite.Site{Manifest: m, Catalog: cat, Lineage: lin, Overview: docsite.FindOverview(os.DirFS(s.projectDir))}
	site.RunResults, _ = os.ReadFile(filepath.Join(s.targetDir, "run_results.json"))
	site.Freshness, _ = os.ReadFile(filepath.Join(s.targetDir, "sources.json"))
	dir := filepath.Join(s.targetDir, "docs")
	st, err := docsite.Write(dir, site, masker(s.profile.Secrets).mask)
	if err != nil {
		return &exitError{code: exitFailed, msg: "error: writing the docs site: " + err.Error()}
	}
	s.out.info("docs", "Wrote %s: %d pages, %d nodes and %d edges in the graph", filepath.Join(dir, "index.html"), st.Nodes, st.GraphNodes, st.Edges)
	return nil
}

func docsServe(c *ucli.Context, e *env_) error {
	out := newPrinter(e.stdout, c.String("log-format"), c.Bool("no-color"), e.lookup)
	dir := c.String("project-dir")
	targetPath := "target"
	if p, ds := compiler.LoadProject(os.DirFS(dir), e.lookup); !ds.HasErrors() && p.TargetPath != "" {
		targetPath = p.TargetPath
	}
	docs := filepath.Join(dir, targetPath, "docs")
	if _, err := os.Stat(filepath.Join(docs, "index.html")); err != nil {
		return invalid("error: %s does not exist\n  hint: run 'kiln docs generate' first", filepath.Join(docs, "index.html"))
	}
	port := c.Int("port")
	if port < 0 || port > 65535 {
		return invalid("error: --port %d is not a port number", port)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	err := docsite.Serve(c.Context, docs, addr, func(url string) {
		out.info("serving", "Serving %s at %s (Ctrl-C to stop)", docs, url)
		if c.Bool("open") {
			openBrowser(c.Context, url)
		}
	})
	if err != nil {
		return &exitError{code: exitFailed, msg: fmt.Sprintf("error: serving on %s: %v\n  hint: pick another --port", addr, err)}
	}
	return nil
}

func openBrowser(ctx context.Context, url string) {
	name, args := "xdg-open", []string{url}
	switch runtime.GOOS {
	case "darwin":
		name = "open"
	case "windows":
		name, args = "rundll32", []string{"url.dll,FileProtocolHandler", url}
	}
	if cmd := exec.CommandContext(ctx, name, args...); cmd.Start() == nil {
		go cmd.Wait()
	}
}
