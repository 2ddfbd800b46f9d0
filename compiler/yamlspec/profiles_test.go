package yamlspec

import (
	"reflect"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func TestExpandEnv(t *testing.T) {
	tests := []struct {
		name, value string
		vars        map[string]string
		want        any // decoded plain value
		secret      bool
		diag        string
	}{
		{"single quotes", `"{{ env_var('DB') }}"`, map[string]string{"DB": "analytics"}, "analytics", false, ""},
		{"double quotes", `'{{ env_var("DB") }}'`, map[string]string{"DB": "analytics"}, "analytics", false, ""},
		{"default used", `"{{ env_var('DB', 'dev_db') }}"`, nil, "dev_db", false, ""},
		{"default ignored", `"{{ env_var('DB', \"dev_db\") }}"`, map[string]string{"DB": "prod"}, "prod", false, ""},
		{"embedded", `"dbt_{{ env_var('USER') }}_{{env_var('X','x')}}"`, map[string]string{"USER": "ann"}, "dbt_ann_x", false, ""},
		{"int filter", `"{{ env_var('THREADS') | int }}"`, map[string]string{"THREADS": "8"}, 8, false, ""},
		{"as_number default", `"{{ env_var('THREADS', 4) | as_number }}"`, nil, 4, false, ""},
		{"as_bool", `"{{ env_var('KEEP') | as_bool }}"`, map[string]string{"KEEP": "True"}, true, false, ""},
		{"string stays string", `"{{ env_var('PORT') }}"`, map[string]string{"PORT": "5432"}, "5432", false, ""},
		{"secret password", `"{{ env_var('SNOWFLAKE_PASSWORD') }}"`, map[string]string{"SNOWFLAKE_PASSWORD": "hunter2"}, "hunter2", true, ""},
		{"secret key default", `"{{ env_var('PRIVATE_KEY', 'abc') }}"`, nil, "abc", true, ""},
		{"missing", `"{{ env_var('SNOWFLAKE_ACCOUNT') }}"`, nil, nil, false,
			`p.yml:1:4: environment variable SNOWFLAKE_ACCOUNT is not set (hint: set SNOWFLAKE_ACCOUNT in the environment, or give a default: {{ env_var('SNOWFLAKE_ACCOUNT', 'default') }})`},
		{"not a number", `"{{ env_var('T') | int }}"`, map[string]string{"T": "many"}, nil, false, `p.yml:1:4: env_var value "many" is not an integer`},
		{"bad filter", `"{{ env_var('T') | upper }}"`, map[string]string{"T": "x"}, nil, false, `p.yml:1:4: unsupported filter "upper" on env_var() (hint: use | int, | as_number, | as_bool or | as_text)`},
		{"unreadable call", `"{{ env_var(T) }}"`, nil, nil, false, `p.yml:1:4: cannot read the env_var() call in "{{ env_var(T) }}" (hint: write {{ env_var('NAME') }} or {{ env_var('NAME', 'default') }})`},
		{"other jinja untouched", `"{{ var('x') }}"`, nil, "{{ var('x') }}", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root, ds := Parse("p.yml", []byte("v: "+tc.value+"\n"))
			noDiags(t, ds)
			secrets, ds := ExpandEnvSecrets("p.yml", root, env(tc.vars))
			if tc.diag != "" {
				expectDiags(t, ds, tc.diag)
				return
			}
			noDiags(t, ds)
			var v struct {
				V any `yaml:"v"`
			}
			noDiags(t, Decode("p.yml", root, &v))
			if !reflect.DeepEqual(v.V, tc.want) {
				t.Errorf("value %#v, want %#v", v.V, tc.want)
			}
			if tc.secret != (len(secrets) == 1 && secrets[0] == tc.want) {
				t.Errorf("secrets %v", secrets)
			}
		})
	}
}

func TestExpandEnvKeepsKeys(t *testing.T) {
	root, _ := Parse("p.yml", []byte("\"{{ env_var('K') }}\": 1\n"))
	noDiags(t, ExpandEnv("p.yml", root, env(nil)))
	if root.Content[0].Value != "{{ env_var('K') }}" || root.Kind != yaml.MappingNode {
		t.Errorf("key was rewritten")
	}
}

const profilesYAML = `
config:
  send_anonymous_usage_stats: false
retail:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('DUCKDB_PATH', 'target/retail.duckdb') }}"
      schema: main
      threads: 4
      extensions: [httpfs, parquet]
      settings: {memory_limit: 2GB}
    prod:
      type: snowflake
      account: "{{ env_var('SNOWFLAKE_ACCOUNT') }}"
      user: kiln
      password: "{{ env_var('SNOWFLAKE_PASSWORD') }}"
      role: transformer
      warehouse: transforming
      database: analytics
      schema: marts
      threads: "{{ env_var('THREADS', '8') | int }}"
      query_tag: kiln
      client_session_keep_alive: false
    ci:
      type: snowflake
      account: acme
      user: ci
      private_key: literal-key-material
      warehouse: wh
      database: db
      schema: ci
`

func TestLoadProfiles(t *testing.T) {
	ps, ds := LoadProfiles("profiles.yml", []byte(profilesYAML), env(map[string]string{"SNOWFLAKE_ACCOUNT": "acme-xy123", "SNOWFLAKE_PASSWORD": "s3cret!"}))
	noDiags(t, ds)
	p := ps.Profiles["retail"]
	if p == nil || p.Target != "dev" || len(ps.Profiles) != 1 {
		t.Fatalf("profiles: %+v", ps.Profiles)
	}
	dev := p.Outputs["dev"]
	if dev.Name != "dev" || dev.Type != TypeDuckDB || dev.DuckDB.Path != "target/retail.duckdb" || dev.Threads() != 4 ||
		!reflect.DeepEqual(dev.DuckDB.Extensions, []any{"httpfs", "parquet"}) || dev.DuckDB.Settings["memory_limit"] != "2GB" {
		t.Errorf("dev: %+v %+v", dev, dev.DuckDB)
	}
	prod := p.Outputs["prod"].Snowflake
	if prod.Account != "acme-xy123" || prod.Password != "s3cret!" || prod.Threads != 8 || prod.Role != "transformer" {
		t.Errorf("prod: %+v", prod)
	}
	if prod.KeyPos["account"] != (diag.Pos{File: "profiles.yml", Line: 16, Col: 16}) {
		t.Errorf("account pos: %+v", prod.KeyPos["account"])
	}
	if !reflect.DeepEqual(ps.Secrets, []string{"s3cret!", "literal-key-material"}) {
		t.Errorf("secrets: %q", ps.Secrets)
	}
	if got := ps.Mask("login failed with s3cret!"); got != "login failed with *****" {
		t.Errorf("mask: %q", got)
	}
}

func TestLoadProfilesErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"unknown type", "p:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n", []string{
			`f.yml:5:13: unknown adapter type "postgres" (hint: Kiln supports: duckdb, snowflake)`,
		}},
		{"type typo", "p:\n  target: dev\n  outputs:\n    dev: {type: duckbd}\n", []string{
			`f.yml:4:17: unknown adapter type "duckbd" (hint: did you mean "duckdb"?)`,
		}},
		{"missing type", "p:\n  target: dev\n  outputs:\n    dev: {path: x}\n", []string{
			`f.yml:4:10: output "dev" is missing required key "type" (hint: add type: duckdb or type: snowflake)`,
		}},
		{"unknown duckdb key", "p:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      pathh: x.duckdb\n      warehouse: w\n", []string{
			`f.yml:6:7: unknown key "pathh" (hint: did you mean "path"?)`,
			`f.yml:7:7: unknown key "warehouse"`,
		}},
		{"snowflake required", "p:\n  target: prod\n  outputs:\n    prod:\n      type: snowflake\n      acount: a\n      user: u\n      password: p\n      threads: 0\n", []string{
			`f.yml:5:7: missing required key "account"`,
			`f.yml:5:7: missing required key "database"`,
			`f.yml:5:7: missing required key "schema"`,
			`f.yml:5:7: missing required key "warehouse"`,
			`f.yml:6:7: unknown key "acount" (hint: did you mean "account"?)`,
			`f.yml:9:16: threads must be at least 1`,
		}},
		{"snowflake no credentials", "p:\n  target: prod\n  outputs:\n    prod: {type: snowflake, account: a, user: u, warehouse: w, database: d, schema: s}\n", []string{
			`f.yml:4:11: snowflake output "prod" has no credentials (hint: set password, private_key_path, private_key or authenticator)`,
		}},
		{"target not an output", "p:\n  target: prd\n  outputs:\n    prod: {type: duckdb}\n    dev: {type: duckdb}\n", []string{
			`f.yml:2:11: target "prd" is not an output of profile "p" (hint: did you mean "prod"?)`,
		}},
		{"threads quoted", "p:\n  target: dev\n  outputs:\n    dev: {type: duckdb, threads: \"{{ env_var('T', '4') }}\"}\n", []string{
			`f.yml:4:34: threads: expected an integer, got the string "4" (hint: remove the quotes, or add ` + "`| as_number`" + ` to an env_var() template)`,
		}},
		{"missing env", "p:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: \"{{ env_var('P') }}\"}\n", []string{
			`f.yml:4:31: environment variable P is not set (hint: set P in the environment, or give a default: {{ env_var('P', 'default') }})`,
		}},
		{"outputs missing", "p:\n  target: dev\n", []string{`f.yml:2:3: missing required key "outputs"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ds := LoadProfiles("f.yml", []byte(tc.src), env(nil))
			expectDiags(t, ds, tc.want...)
		})
	}
}

func TestProfileNameIsNotAKey(t *testing.T) {
	_, ds := LoadProfiles("f.yml", []byte("p:\n  name: x\n  target: dev\n  outputs: {dev: {type: duckdb}}\n"), env(nil))
	expectDiags(t, ds, `f.yml:2:3: unknown key "name" (hint: valid keys are: outputs, target)`)
}
