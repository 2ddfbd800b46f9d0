package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-build/kiln/cmd/cli"
)

// cancelProject has a seed, a view, a table that is quick with the default
// var n and takes minutes with a large one, and models downstream of it.
func cancelProject(t *testing.T) string {
	return project(t, map[string]string{
		"seeds/s.csv":     "x\n1\n2\n",
		"models/a.sql":    "select 1 as id",
		"models/big.sql":  "{{ config(materialized='table') }}\nselect sum(a.range * b.range) as n from range({{ var('n', 10) }}) a, range({{ var('n', 10) }}) b",
		"models/down.sql": "{{ config(materialized='table') }}\nselect n + 1 as n from {{ ref('big') }}",
		"models/inc.sql":  "{{ config(materialized='incremental', unique_key='n') }}\nselect n from {{ ref('down') }}",
	})
}

type runResultsFile struct {
	Metadata map[string]any `json:"metadata"`
	Results  []struct {
		UniqueID string `json:"unique_id"`
		Status   string `json:"status"`
		Message  string `json:"message"`
	} `json:"results"`
}

func readRunResults(t *testing.T, dir string) runResultsFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "target", "run_results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rr runResultsFile
	if err := json.Unmarshal(b, &rr); err != nil {
		t.Fatal(err)
	}
	return rr
}

func statuses(rr runResultsFile) map[string]string {
	out := map[string]string{}
	for _, r := range rr.Results {
		out[r.UniqueID] = r.Status
	}
	return out
}

// checkCancelled asserts the run results of a build of cancelProject
// cancelled while big ran, and that the database is the first build's.
func checkCancelled(t *testing.T, dir string) {
	t.Helper()
	st := statuses(readRunResults(t, dir))
	for id, want := range map[string]string{
		"model.shop.big": "cancelled", "model.shop.down": "cancelled", "model.shop.inc": "cancelled",
	} {
		if st[id] != want {
			t.Errorf("%s: status %q, want %q (all: %v)", id, st[id], want, st)
		}
	}
	equal(t, rows(t, dir, "select n from main.big"), []string{"2025"})
	equal(t, rows(t, dir, "select n from main.down"), []string{"2026"})
	equal(t, rows(t, dir, "select n from main.inc"), []string{"2026"})
	equal(t, rows(t, dir, "select count(*) from information_schema.tables where table_name like '%kiln%'"), []string{"0"})
}

func TestCancelInProcess(t *testing.T) {
	dir := cancelProject(t)
	mustKiln(t, dir, 0, "build")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var stdout, stderr bytes.Buffer
	env := func(k string) (string, bool) {
		if k == "HOME" {
			return dir, true
		}
		return "", false
	}
	start := time.Now()
	code := cli.RunEnv(ctx, []string{"kiln", "build", "--threads", "1", "--vars", "{n: 1000000}", "--project-dir", dir}, strings.NewReader(""), &stdout, &stderr, env)
	if code != 130 {
		t.Fatalf("exit %d, want 130\n%s%s", code, stdout.String(), stderr.String())
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("cancellation took %v", d)
	}
	if strings.Contains(stdout.String()+stderr.String(), "goroutine ") {
		t.Fatalf("panic:\n%s", stderr.String())
	}
	checkCancelled(t, dir)
}

// A real SIGINT to the kiln binary: running queries are interrupted,
// run_results.json is written, exit 130. SIGTERM does the same, and a
// second signal exits at once.
func TestCancelSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kiln binary")
	}
	for _, tc := range []struct {
		name string
		sigs []syscall.Signal
	}{
		{"SIGINT", []syscall.Signal{syscall.SIGINT}},
		{"SIGTERM", []syscall.Signal{syscall.SIGTERM}},
		{"twice", []syscall.Signal{syscall.SIGINT, syscall.SIGINT}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := cancelProject(t)
			mustKiln(t, dir, 0, "build")
			cmd, out := kilnCmd(t, dir, "build", "--threads", "1", "--log-format", "json", "--vars", "{n: 1000000}")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			deadline := time.Now().Add(30 * time.Second)
			for !strings.Contains(out.String(), `"node_started"`) || !strings.Contains(out.String(), `"unique_id":"model.shop.big"`) {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("big never started:\n%s", out.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(200 * time.Millisecond) // the query is running
			for _, s := range tc.sigs {
				cmd.Process.Signal(s)
			}
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("kiln did not stop after %v:\n%s", tc.sigs, out.String())
			}
			if code := cmd.ProcessState.ExitCode(); code != 130 {
				t.Fatalf("exit %d, want 130\n%s", code, out.String())
			}
			if strings.Contains(out.String(), "goroutine ") {
				t.Fatalf("panic:\n%s", out.String())
			}
			if len(tc.sigs) == 1 {
				checkCancelled(t, dir)
			} else {
				equal(t, rows(t, dir, "select n from main.big"), []string{"2025"})
			}
			// The next build completes.
			mustKiln(t, dir, 0, "build")
		})
	}
}
