package tests

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/cmd/cli"
	"github.com/kiln-build/kiln/compiler/synth"
)

const chromium = "/usr/bin/chromium"

// serveDocs runs `kiln docs serve` in-process on a free port until the test
// ends and returns the site's URL.
func serveDocs(t *testing.T, dir string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	var out bytes.Buffer
	go func() {
		done <- cli.RunEnv(ctx, []string{"kiln", "docs", "serve", "--port", strconv.Itoa(port), "--project-dir", dir},
			strings.NewReader(""), &out, &out, func(k string) (string, bool) { return "", false })
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("docs serve exited %d:\n%s", code, out.String())
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	for i := 0; ; i++ {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s: %s", url, resp.Status)
			}
			return url
		}
		if i > 100 {
			t.Fatalf("docs serve did not start: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// browse loads url in headless Chromium and returns the data-* attributes
// the page wrote on #state; with shot set it also saves a screenshot there.
func browse(t *testing.T, url, shot string, budgetMS int) map[string]string {
	t.Helper()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--window-size=1400,900", "--virtual-time-budget=" + strconv.Itoa(budgetMS)}
	if shot != "" {
		cmd := exec.Command(chromium, append(args, "--screenshot="+shot, url)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("chromium --screenshot: %v\n%s", err, b)
		}
		t.Logf("screenshot of %s: %s", url, shot)
	}
	cmd := exec.Command(chromium, append(args, "--dump-dom", url)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v\n%s", err, stderr.String())
	}
	m := regexp.MustCompile(`<div id="state"[^>]*>`).Find(dom)
	if m == nil {
		t.Fatalf("no #state in the page:\n%.2000s", dom)
	}
	state := map[string]string{}
	for _, a := range regexp.MustCompile(`data-([a-z-]+)="([^"]*)"`).FindAllSubmatch(m, -1) {
		state[string(a[1])] = strings.ReplaceAll(string(a[2]), "&amp;", "&")
	}
	if state["ready"] != "1" {
		t.Fatalf("page did not finish loading: %v", state)
	}
	return state
}

// shotDir is where screenshots go: $KILN_SCREENSHOTS to keep them, else a
// temporary directory.
func shotDir(t *testing.T) string {
	if d := os.Getenv("KILN_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func needChromium(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("no " + chromium + " (CI installs it)")
	}
}

func hasWords(t *testing.T, what, got string, want ...string) {
	t.Helper()
	words := map[string]bool{}
	for _, w := range strings.Fields(got) {
		words[w] = true
	}
	for _, w := range want {
		if !words[w] {
			t.Errorf("%s = %q, missing %s", what, got, w)
		}
	}
}

func TestDocsBrowser(t *testing.T) {
	needChromium(t)
	dir := docsProject(t)
	mustKiln(t, dir, 0, "docs", "generate")
	url := serveDocs(t, dir)
	shots := shotDir(t)

	// 2 sources, 5 models, 1 exposure; tests are pages but not graph nodes.
	st := browse(t, url+"#/graph", filepath.Join(shots, "graph.png"), 2000)
	if st["graph-nodes"] != "8" || st["graph-total"] != "8" {
		t.Errorf("graph nodes: %v", st)
	}
	st = browse(t, url+"#/focus/model.shop.fact_sales", filepath.Join(shots, "focus.png"), 2000)
	hasWords(t, "upstream of fact_sales", st["focus-up"], "stg_transactions", "stg_stores", "transactions", "stores")
	hasWords(t, "downstream of fact_sales", st["focus-down"], "mart_daily_sales", "mart_store_sales", "weekly_dashboard")
	if strings.Contains(st["focus-up"], "mart_") || strings.Contains(st["focus-down"], "stg_") {
		t.Errorf("focus mixes directions: %v", st)
	}
	st = browse(t, url+"#/focus/model.shop.fact_sales?up=1&down=1", "", 2000)
	if st["focus-up"] != "stg_stores stg_transactions" || st["focus-down"] != "mart_daily_sales mart_store_sales" {
		t.Errorf("depth 1 focus: %v", st)
	}
	st = browse(t, url+"#/focus/model.shop.mart_daily_sales/col/revenue_cents", filepath.Join(shots, "column.png"), 2000)
	if st["col-lineage"] != "fact_sales.amount_cents stg_transactions.amount transactions.amount" {
		t.Errorf("column lineage of revenue_cents: %q", st["col-lineage"])
	}
	st = browse(t, url+"#/search/store_name", filepath.Join(shots, "search.png"), 2000)
	hasWords(t, "search store_name", st["search"], "stg_stores:store_name", "stores:store_name")
	for _, sel := range []struct{ expr, want string }{
		{"+fact_sales", "5"},
		{"fact_sales+", "4"},
		{"1+fact_sales+1", "5"},
		{"tag:marts", "2"},
		{"resource_type:source", "2"},
		{"path:models/staging", "4"}, // sources declared there too, as in dbt
		{"tag:staging mart_store_sales", "3"},
		{"+weekly_dashboard,tag:staging", "2"},
	} {
		st = browse(t, url+"#/graph/"+strings.ReplaceAll(sel.expr, " ", "%20"), "", 2000)
		if st["graph-nodes"] != sel.want {
			t.Errorf("select %q: %s nodes, want %s", sel.expr, st["graph-nodes"], sel.want)
		}
	}
	browse(t, url+"#/node/model.shop.fact_sales", filepath.Join(shots, "model.png"), 2000)
	browse(t, url+"#/node/source.shop.pos.transactions", filepath.Join(shots, "source.png"), 2000)
	browse(t, url+"#/node/exposure.shop.weekly_dashboard", filepath.Join(shots, "exposure.png"), 2000)
	browse(t, url, filepath.Join(shots, "overview.png"), 2000)
}

// TestDocsBrowser10k measures the load of a 10,000-model project's graph
// and logs it (a measurement, not an assertion on speed).
func TestDocsBrowser10k(t *testing.T) {
	needChromium(t)
	if testing.Short() {
		t.Skip("-short")
	}
	dir := t.TempDir()
	for name, f := range synth.Project(10000, 1) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	r := mustKiln(t, dir, 0, "docs", "generate")
	t.Logf("docs generate, 10,000 models: %s\n%s", time.Since(start).Round(time.Millisecond), r.stdout)
	if fi, err := os.Stat(filepath.Join(dir, "target", "docs", "data.js")); err == nil {
		t.Logf("data.js: %.1f MB", float64(fi.Size())/1e6)
	}
	url := serveDocs(t, dir)
	shots := shotDir(t)
	st := browse(t, url+"#/graph", filepath.Join(shots, "graph10k.png"), 30000)
	if st["graph-total"] != "10500" {
		t.Errorf("graph nodes: %v", st)
	}
	t.Logf("10,000 models: first graph paint at %s ms after navigation start (%s nodes drawn)", st["load-ms"], st["drawn"])
	st = browse(t, url+"#/focus/model.synth.mart_09999", filepath.Join(shots, "focus10k.png"), 30000)
	t.Logf("focus on mart_09999: %d upstream, first paint %s ms", len(strings.Fields(st["focus-up"])), st["load-ms"])
	st = browse(t, url+"#/search/customer_id", "", 30000)
	t.Logf("search customer_id: %s results, first paint %s ms", st["search-count"], st["load-ms"])
}
