package tests

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretsNeverWritten reads secrets through env_var() in models and
// tests and keeps literal ones in profiles.yml, makes errors quote them,
// and greps every file under target/ and all output: no secret appears.
func TestSecretsNeverWritten(t *testing.T) {
	env := map[string]string{
		"DB_PASSWORD":     "EnvPassw0rd-6d1f",
		"API_TOKEN":       "tok_EnvT0ken_93ab",
		"SIGNING_KEY":     "k3y-with\"quotes\\9",
		"MY_SECRET_SAUCE": "Ketchup-S3cret-77",
		"REGION":          "eu-west-1", // not a secret: printed as is
	}
	literal := []string{"Pr0fileLiteral-Pass", "-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkq", "oauth-t0ken-literal-xyz"}
	secrets := append([]string{env["DB_PASSWORD"], env["API_TOKEN"], env["SIGNING_KEY"], env["MY_SECRET_SAUCE"]}, literal...)
	dir := project(t, map[string]string{
		"profiles.yml": `shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      threads: 2
    prod:
      type: snowflake
      account: acme
      user: kiln
      password: ` + literal[0] + `
      private_key: "` + literal[1] + `"
      token: ` + literal[2] + `
      database: analytics
      schema: marts
`,
		"models/uses_secret.sql": "{{ config(materialized='table') }}\n-- token {{ env_var('API_TOKEN') }}\nselect 1 as id where '{{ env_var('DB_PASSWORD') }}' <> '' and '{{ env_var('REGION') }}' <> ''",
		"models/fails.sql":       "{{ config(materialized='table') }}\nselect cast('{{ env_var('DB_PASSWORD') }}' as integer) as x, '{{ env_var('SIGNING_KEY') }}' as k",
		"models/sauce.sql":       "{{ config(materialized='table') }}\nselect 1 as id from {{ ref('uses_secret') }} where 'x' <> '{{ env_var('MY_SECRET_SAUCE') }}'",
		"models/schema.yml":      "version: 2\nmodels:\n  - name: uses_secret\n    columns:\n      - name: id\n        data_tests:\n          - accepted_values:\n              values: [2]\n              quote: false\n",
		"tests/secret_check.sql": "select * from {{ ref('uses_secret') }} where '{{ env_var('API_TOKEN') }}' = 'tok_EnvT0ken_93ab'",
	})
	var outputs []string
	for _, args := range [][]string{
		{"build"},
		{"build", "--log-format", "json"},
		{"run", "--select", "fails"},
		{"compile"},
		{"ls", "-o", "json"},
		{"debug"},
		{"docs", "generate"},
		{"build", "--select", "nope_not_a_model"},
	} {
		r := kiln(t, dir, env, args...)
		outputs = append(outputs, strings.Join(args, " ")+":\n"+r.output())
	}
	all := strings.Join(outputs, "\n")
	if !strings.Contains(all, "****") {
		t.Errorf("no masked value in the output; did the failing model run?\n%s", all)
	}
	if !strings.Contains(all, "Conversion Error") {
		t.Errorf("the failing model did not fail:\n%s", all)
	}
	found := 0
	for _, s := range secrets {
		if strings.Contains(all, s) {
			found++
			t.Errorf("secret %q in the output", s)
		}
	}
	files := 0
	filepath.WalkDir(filepath.Join(dir, "target"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				found++
				rel, _ := filepath.Rel(dir, p)
				t.Errorf("secret %q in %s", s, rel)
			}
		}
		return nil
	})
	if files < 5 {
		t.Errorf("only %d files under target/", files)
	}
	if !strings.Contains(all, "eu-west-1") && !strings.Contains(readAll(t, dir), "eu-west-1") {
		t.Errorf("a variable that is not a secret was masked")
	}
	t.Logf("secrets found: %d in %d files under target/ and %d outputs", found, files, len(outputs))
}

// readAll is the text of every file under target/.
func readAll(t *testing.T, dir string) string {
	var b strings.Builder
	filepath.WalkDir(filepath.Join(dir, "target"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			b.Write(data)
		}
		return nil
	})
	return b.String()
}
