package runner

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/compiler/dialect"
	"github.com/kiln-build/kiln/tests/sfstandin"
)

const standinPassword = "pw-Sn0wfl4ke-secret"

func openStandin(t *testing.T, opts sfstandin.Options, cfg SnowflakeConfig) (*Snowflake, *sfstandin.Server) {
	t.Helper()
	if opts.Password == "" && opts.PublicKey == nil && opts.OAuthToken == "" {
		opts.Password = standinPassword
	}
	srv := sfstandin.Start(t, opts)
	cfg.Account, cfg.User = "kiln_test", "KILN"
	if cfg.Password == "" && cfg.PrivateKey == "" && cfg.Token == "" && cfg.PrivateKeyPath == "" {
		cfg.Password = standinPassword
	}
	cfg.Host, cfg.Port, cfg.Protocol = srv.Host, srv.Port, "http"
	cfg.Database, cfg.Schema, cfg.Warehouse = "KILN_DB", "PUBLIC", "WH"
	cfg.LoginTimeout = 10 * time.Second
	cfg.Retries = 1
	w, err := OpenSnowflake(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, srv
}

func TestSnowflakeStandinRoundTrip(t *testing.T) {
	ctx := context.Background()
	w, srv := openStandin(t, sfstandin.Options{}, SnowflakeConfig{Threads: 2, QueryTag: "kiln-test"})
	d := w.Dialect()
	rel := dialect.Relation{Database: "KILN_DB", Schema: "analytics", Identifier: "people"}
	mustExec := func(q string) {
		t.Helper()
		if _, err := w.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mustExec(d.CreateSchema(rel.Database, rel.Schema))
	cols := []dialect.Column{{Name: "id", Type: "NUMBER"}, {Name: "name", Type: "VARCHAR"}, {Name: "score", Type: "FLOAT"},
		{Name: "born", Type: "DATE"}, {Name: "seen_at", Type: "TIMESTAMP_NTZ"}, {Name: "active", Type: "BOOLEAN"}}
	mustExec(d.CreateTable(rel, cols))
	day := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	var rows [][]any
	for i := range 450 { // three batches
		rows = append(rows, []any{int64(i), fmt.Sprintf("p'%d\\", i), float64(i) + 0.125, day, day.Add(time.Duration(i) * time.Minute), i%2 == 0})
	}
	rows = append(rows, []any{nil, nil, nil, nil, nil, nil})
	err := w.InTx(ctx, func(tx Execer) error {
		n, err := w.LoadRows(ctx, tx, rel, cols, rows)
		if err != nil {
			return err
		}
		if n != int64(len(rows)) {
			return fmt.Errorf("loaded %d", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := w.QueryInt(ctx, "select count(*) from "+d.Render(rel))
	if err != nil || n != 451 {
		t.Fatalf("count = %d, %v", n, err)
	}
	got, err := w.Query(ctx, "select id, name, score, born, seen_at, active from "+d.Render(rel)+" where id = 7")
	if err != nil {
		t.Fatal(err)
	}
	want := []any{int64(7), `p'7\`, "7.125", day, day.Add(7 * time.Minute), false}
	if len(got) != 1 || fmt.Sprint(got[0]) != fmt.Sprint(want) {
		t.Fatalf("row 7 = %v, want %v", got, want)
	}
	if kind, err := w.RelationKind(ctx, rel); err != nil || kind != dialect.KindTable {
		t.Fatalf("kind = %q, %v", kind, err)
	}
	if kind, err := w.RelationKind(ctx, dialect.Relation{Database: "KILN_DB", Schema: "analytics", Identifier: "nope"}); err != nil || kind != dialect.KindNone {
		t.Fatalf("kind of a missing relation = %q, %v", kind, err)
	}
	gotCols, err := w.Columns(ctx, rel)
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprint(gotCols); s != "[{ID NUMBER(38,0)} {NAME VARCHAR(16777216)} {SCORE FLOAT} {BORN DATE} {SEEN_AT TIMESTAMP_NTZ(9)} {ACTIVE BOOLEAN}]" {
		t.Fatalf("columns = %s", s)
	}
	for _, s := range d.ReplaceView(dialect.Relation{Database: "KILN_DB", Schema: "analytics", Identifier: "v"}, "select iff(active, 'y', 'n') as a from "+d.Render(rel), dialect.KindNone) {
		mustExec(s)
	}
	if kind, _ := w.RelationKind(ctx, dialect.Relation{Database: "KILN_DB", Schema: "ANALYTICS", Identifier: "V"}); kind != dialect.KindView {
		t.Fatalf("view kind = %q", kind)
	}
	var sawTag bool
	for _, e := range srv.Events() {
		if e.Kind == "login" && fmt.Sprint(e.Params["QUERY_TAG"], e.Params["query_tag"]) != "<nil> <nil>" {
			sawTag = true
		}
	}
	if !sawTag {
		t.Errorf("query_tag was not sent at login: %+v", srv.Events()[0])
	}
}

func TestSnowflakeInTxRollsBackDML(t *testing.T) {
	ctx := context.Background()
	w, _ := openStandin(t, sfstandin.Options{}, SnowflakeConfig{Threads: 1})
	for _, q := range []string{"create schema if not exists KILN_DB.s", "create table KILN_DB.s.t (id NUMBER)", "insert into KILN_DB.s.t values (1)"} {
		if _, err := w.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	boom := errors.New("boom")
	err := w.InTx(ctx, func(tx Execer) error {
		if _, err := tx.Exec(ctx, "delete from KILN_DB.s.t where id = 1"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "insert into KILN_DB.s.t values (2), (3)"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v", err)
	}
	got, err := w.Query(ctx, "select id from KILN_DB.s.t order by id")
	if err != nil || fmt.Sprint(got) != "[[1]]" {
		t.Fatalf("after rollback: %v %v", got, err)
	}
	// A SQL error is reported with its statement, at once (no retries).
	start := time.Now()
	_, err = w.Exec(ctx, "select * from KILN_DB.s.missing")
	var qe *QueryError
	if !errors.As(err, &qe) || !strings.Contains(err.Error(), "missing") || time.Since(start) > 5*time.Second {
		t.Fatalf("error = %v (after %s)", err, time.Since(start))
	}
}

func TestSnowflakeCancelAbortsQuery(t *testing.T) {
	w, srv := openStandin(t, sfstandin.Options{}, SnowflakeConfig{Threads: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := w.QueryInt(ctx, "select count(*) from range(100000000000) a where a.range % 7 = 3")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("cancellation took %s", time.Since(start))
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		var aborted bool
		for _, e := range srv.Events() {
			aborted = aborted || e.Kind == "abort"
		}
		if aborted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the driver did not send abort-request")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSnowflakeBadPasswordIsNotEchoed(t *testing.T) {
	srv := sfstandin.Start(t, sfstandin.Options{Password: standinPassword})
	wrong := "wr0ng-Pa55word-xyz"
	_, err := OpenSnowflake(context.Background(), SnowflakeConfig{
		Account: "kiln_test", User: "KILN", Password: wrong, Database: "KILN_DB", Schema: "PUBLIC",
		Host: srv.Host, Port: srv.Port, Protocol: "http", LoginTimeout: 5 * time.Second, Retries: 1,
	})
	if err == nil {
		t.Fatal("login with a wrong password succeeded")
	}
	if strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), "Incorrect username or password") {
		t.Fatalf("error = %v", err)
	}
}

func TestSnowflakeKeyPairLogin(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	for name, cfg := range map[string]SnowflakeConfig{
		"pem":        {Authenticator: "snowflake_jwt", PrivateKey: pemText},
		"base64 der": {PrivateKey: base64.StdEncoding.EncodeToString(der)},
	} {
		t.Run(name, func(t *testing.T) {
			w, _ := openStandin(t, sfstandin.Options{PublicKey: &key.PublicKey}, cfg)
			if n, err := w.QueryInt(context.Background(), "select 1 + 1"); err != nil || n != 2 {
				t.Fatalf("%d %v", n, err)
			}
		})
	}
	t.Run("encrypted pkcs8 file", func(t *testing.T) {
		if _, err := exec.LookPath("openssl"); err != nil {
			t.Skip("openssl not installed")
		}
		dir := t.TempDir()
		plain := filepath.Join(dir, "plain.pem")
		os.WriteFile(plain, []byte(pemText), 0o600)
		enc := filepath.Join(dir, "enc.p8")
		out, err := exec.Command("openssl", "pkcs8", "-topk8", "-v2", "aes256", "-in", plain, "-out", enc, "-passout", "pass:hunter22").CombinedOutput()
		if err != nil {
			t.Skipf("openssl: %v %s", err, out)
		}
		w, _ := openStandin(t, sfstandin.Options{PublicKey: &key.PublicKey}, SnowflakeConfig{PrivateKeyPath: enc, PrivateKeyPassphrase: "hunter22"})
		if _, err := w.QueryInt(context.Background(), "select 1"); err != nil {
			t.Fatal(err)
		}
		_, err = loadPrivateKey(enc, "", "wrong-pass")
		if err == nil || !strings.Contains(err.Error(), "passphrase") {
			t.Fatalf("wrong passphrase: %v", err)
		}
	})
}

func TestSnowflakeOAuthLogin(t *testing.T) {
	w, srv := openStandin(t, sfstandin.Options{OAuthToken: "oauth-tok-123"}, SnowflakeConfig{Authenticator: "oauth", Token: "oauth-tok-123"})
	if _, err := w.QueryInt(context.Background(), "select 1"); err != nil {
		t.Fatal(err)
	}
	if e := srv.Events()[0]; e.Authenticator != "OAUTH" || !e.OK {
		t.Fatalf("login = %+v", e)
	}
}

func TestSnowflakeDriverConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  SnowflakeConfig
		want string
	}{
		{SnowflakeConfig{Account: "a", User: "u"}, "password"},
		{SnowflakeConfig{Account: "a", User: "u", Authenticator: "oauth"}, "token"},
		{SnowflakeConfig{Account: "a", User: "u", Authenticator: "snowflake_jwt"}, "private_key"},
		{SnowflakeConfig{Account: "a", User: "u", Authenticator: "kerberos", Password: "x"}, "unknown authenticator"},
		{SnowflakeConfig{Account: "a", User: "u", PrivateKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", PrivateKeyPassphrase: "sekrit-pass"}, "cannot parse"},
	} {
		_, err := snowflakeDriverConfig(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
	c, err := snowflakeDriverConfig(SnowflakeConfig{Account: "a", User: "u", Authenticator: "externalbrowser", QueryTimeout: 90 * time.Second})
	if err != nil || *c.Params["statement_timeout_in_seconds"] != "90" {
		t.Fatalf("%v %v", c, err)
	}
}

func TestSnowflakeFirstWord(t *testing.T) {
	for q, want := range map[string]string{
		"  -- c\n/* x */ (Merge into t": "merge",
		"insert into t values (1)":      "insert",
		"with a as (select 1) select *": "with",
		"":                              "",
	} {
		if got := firstWord(q); got != want {
			t.Errorf("firstWord(%q) = %q, want %q", q, got, want)
		}
	}
}

// sfWrapped is an Execer LoadRows cannot bind through: values become literals.
type sfWrapped struct{ Execer }

func TestSnowflakeLoadRowsThroughWrapper(t *testing.T) {
	ctx := context.Background()
	w, _ := openStandin(t, sfstandin.Options{}, SnowflakeConfig{Threads: 1})
	rel := dialect.Relation{Database: "KILN_DB", Schema: "s", Identifier: "t"}
	cols := []dialect.Column{{Name: "d", Type: "DATE"}, {Name: "s", Type: "VARCHAR"}, {Name: "n", Type: "NUMBER(10,2)"}}
	for _, q := range []string{w.Dialect().CreateSchema("KILN_DB", "s"), w.Dialect().CreateTable(rel, cols)} {
		if _, err := w.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	if _, err := w.LoadRows(ctx, sfWrapped{w}, rel, cols, [][]any{{day, `it's a \ test`, "12.50"}, {nil, nil, nil}}); err != nil {
		t.Fatal(err)
	}
	got, err := w.Query(ctx, "select d, s, n from KILN_DB.s.t order by d nulls last")
	if err != nil || fmt.Sprint(got) != fmt.Sprint([][]any{{day, `it's a \ test`, "12.50"}, {nil, nil, nil}}) {
		t.Fatalf("%v %v", got, err)
	}
}
