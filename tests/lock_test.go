package tests

import (
	"bytes"
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-build/kiln/cmd/cli"
)

// startHolder starts a kiln build in another process that holds the
// project's DuckDB file until it is interrupted.
func startHolder(t *testing.T, dir string) (stop func()) {
	t.Helper()
	cmd, out := kilnCmd(t, dir, "build", "--threads", "1", "--log-format", "json", "--vars", "{n: 1000000}")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), `"unique_id":"model.shop.big"`) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the holder never started big:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	t.Cleanup(stop)
	return stop
}

func TestConcurrentUseFailsFast(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kiln binary")
	}
	dir := cancelProject(t)
	mustKiln(t, dir, 0, "build")
	startHolder(t, dir)
	start := time.Now()
	r := kiln(t, dir, nil, "run", "--select", "a")
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.output())
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v to fail", d)
	}
	for _, w := range []string{"database ", "shop.duckdb is in use by another process", "hint:", "--wait"} {
		if !strings.Contains(r.output(), w) {
			t.Errorf("output lacks %q:\n%s", w, r.output())
		}
	}
	for _, raw := range []string{"IO Error", "Could not set lock"} {
		if strings.Contains(r.output(), raw) {
			t.Errorf("output shows the raw driver error %q:\n%s", raw, r.output())
		}
	}
}

func TestConcurrentUseWaits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kiln binary")
	}
	dir := cancelProject(t)
	mustKiln(t, dir, 0, "build")
	stop := startHolder(t, dir)
	type res struct {
		code int
		out  string
	}
	done := make(chan res, 1)
	go func() {
		var stdout, stderr bytes.Buffer
		env := func(k string) (string, bool) {
			if k == "HOME" {
				return dir, true
			}
			return "", false
		}
		code := cli.RunEnv(context.Background(), []string{"kiln", "run", "--select", "a", "--wait", "--project-dir", dir}, strings.NewReader(""), &stdout, &stderr, env)
		done <- res{code, stdout.String() + stderr.String()}
	}()
	select {
	case r := <-done:
		t.Fatalf("--wait returned while the lock was held: exit %d\n%s", r.code, r.out)
	case <-time.After(1500 * time.Millisecond):
	}
	stop()
	select {
	case r := <-done:
		if r.code != 0 {
			t.Fatalf("exit %d, want 0\n%s", r.code, r.out)
		}
		if !strings.Contains(r.out, "Waiting for database") {
			t.Errorf("no waiting notice:\n%s", r.out)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("--wait did not finish after the lock was released")
	}

	// Cancelling a wait exits 130.
	startHolder(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	code := cli.RunEnv(ctx, []string{"kiln", "run", "--select", "a", "--wait", "--project-dir", dir}, strings.NewReader(""), &out, &out,
		func(k string) (string, bool) { return dir, k == "HOME" })
	if code != 130 {
		t.Fatalf("cancelled wait: exit %d, want 130\n%s", code, out.String())
	}
}
