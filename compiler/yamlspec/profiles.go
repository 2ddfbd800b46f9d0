package yamlspec

import (
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
)

// Adapter types Kiln can connect to.
const (
	TypeDuckDB    = "duckdb"
	TypeSnowflake = "snowflake"
)

var adapterTypes = []string{TypeDuckDB, TypeSnowflake}

// Profiles is a decoded profiles.yml.
type Profiles struct {
	Profiles map[string]*Profile
	// Secrets are values that must never be printed: those read from
	// environment variables named like secrets, and the literal values of
	// password, private_key, private_key_passphrase, token and
	// oauth_client_secret.
	Secrets []string
}

// Profile is one named profile: its default target and its outputs.
type Profile struct {
	Name    string              `yaml:"-"`
	Target  string              `yaml:"target"`
	Outputs map[string]*Output  `yaml:"outputs,required"`
	KeyPos  map[string]diag.Pos `yaml:"-"`
	Pos     diag.Pos            `yaml:"-"`
}

// Output is one target of a profile; exactly one of DuckDB and Snowflake is
// set, following Type.
type Output struct {
	Name      string
	Type      string
	DuckDB    *DuckDBOutput
	Snowflake *SnowflakeOutput
	Pos       diag.Pos
}

// Expected names the shape for messages.
func (*Output) Expected() string { return "a mapping with type: duckdb or type: snowflake" }

// Threads is the output's thread count, 0 when unset.
func (o *Output) Threads() int {
	switch {
	case o.DuckDB != nil:
		return o.DuckDB.Threads
	case o.Snowflake != nil:
		return o.Snowflake.Threads
	}
	return 0
}

// DuckDBOutput is a `type: duckdb` target (dbt-duckdb's keys). An empty
// Path means the default, <project>/target/<name>.duckdb.
type DuckDBOutput struct {
	Type                  string              `yaml:"type"`
	Path                  string              `yaml:"path"`
	Database              string              `yaml:"database"`
	Schema                string              `yaml:"schema"`
	Threads               int                 `yaml:"threads"`
	Extensions            []any               `yaml:"extensions"` // names, or {name, repo} mappings
	Settings              map[string]any      `yaml:"settings"`
	Attach                []any               `yaml:"attach"`
	Plugins               []any               `yaml:"plugins"`
	Filesystems           []any               `yaml:"filesystems"`
	Secrets               []any               `yaml:"secrets"`
	ExternalRoot          string              `yaml:"external_root"`
	UseCredentialProvider string              `yaml:"use_credential_provider"`
	ModulePaths           []string            `yaml:"module_paths"`
	Retries               map[string]any      `yaml:"retries"`
	DisableTransactions   bool                `yaml:"disable_transactions"`
	KeepOpen              bool                `yaml:"keep_open"`
	ConfigOptions         map[string]any      `yaml:"config_options"`
	KeyPos                map[string]diag.Pos `yaml:"-"`
	Pos                   diag.Pos            `yaml:"-"`
}

// SnowflakeOutput is a `type: snowflake` target (dbt-snowflake's keys).
type SnowflakeOutput struct {
	Type                   string              `yaml:"type"`
	Account                string              `yaml:"account,required"`
	User                   string              `yaml:"user,required"`
	Password               string              `yaml:"password"`
	Authenticator          string              `yaml:"authenticator"`
	PrivateKeyPath         string              `yaml:"private_key_path"`
	PrivateKey             string              `yaml:"private_key"`
	PrivateKeyPassphrase   string              `yaml:"private_key_passphrase"`
	Token                  string              `yaml:"token"`
	OAuthClientID          string              `yaml:"oauth_client_id"`
	OAuthClientSecret      string              `yaml:"oauth_client_secret"`
	Role                   string              `yaml:"role"`
	Warehouse              string              `yaml:"warehouse,required"`
	Database               string              `yaml:"database,required"`
	Schema                 string              `yaml:"schema,required"`
	Threads                int                 `yaml:"threads"`
	QueryTag               string              `yaml:"query_tag"`
	ClientSessionKeepAlive bool                `yaml:"client_session_keep_alive"`
	LoginTimeout           int                 `yaml:"login_timeout"`
	QueryTimeout           int                 `yaml:"query_timeout"`
	ConnectTimeout         int                 `yaml:"connect_timeout"`
	ConnectRetries         int                 `yaml:"connect_retries"`
	Retries                int                 `yaml:"retries"`
	RetryOnDatabaseErrors  bool                `yaml:"retry_on_database_errors"`
	RetryAll               bool                `yaml:"retry_all"`
	ReuseConnections       *bool               `yaml:"reuse_connections"`
	InsecureMode           bool                `yaml:"insecure_mode"`
	Host                   string              `yaml:"host"`
	Port                   int                 `yaml:"port"`
	Protocol               string              `yaml:"protocol"`
	ProxyHost              string              `yaml:"proxy_host"`
	ProxyPort              int                 `yaml:"proxy_port"`
	S3StageVPCEDNSName     string              `yaml:"s3_stage_vpce_dns_name"`
	KeyPos                 map[string]diag.Pos `yaml:"-"`
	Pos                    diag.Pos            `yaml:"-"`
}

// DecodeNode implements NodeDecoder: it reads `type` first, then decodes
// the output strictly against that adapter's keys.
func (o *Output) DecodeNode(d *Decoder, n *yaml.Node) {
	n = d.Resolve(n)
	o.Name, o.Pos = d.key, d.Pos(n) // decoded as a value of `outputs:`, keyed by name
	if n.Kind != yaml.MappingNode {
		d.TypeError(n, o.Expected())
		return
	}
	var typeNode *yaml.Node
	d.EachPair(n, func(k, v *yaml.Node) {
		if k.Value == "type" {
			typeNode = d.Resolve(v)
		}
	})
	if typeNode == nil || IsNull(typeNode) {
		d.Errorf(n, "add type: duckdb or type: snowflake", "output %q is missing required key \"type\"", o.Name)
		return
	}
	o.Type = typeNode.Value
	switch o.Type {
	case TypeDuckDB:
		o.DuckDB = &DuckDBOutput{}
		d.Decode(n, o.DuckDB)
	case TypeSnowflake:
		sf := &SnowflakeOutput{}
		o.Snowflake = sf
		d.Decode(n, sf)
		if sf.Password == "" && sf.PrivateKey == "" && sf.PrivateKeyPath == "" && sf.Authenticator == "" && sf.Token == "" {
			d.Errorf(n, "set password, private_key_path, private_key or authenticator", "snowflake output %q has no credentials", o.Name)
		}
		if sf.PrivateKey != "" && sf.PrivateKeyPath != "" {
			d.Errorf(n, "keep one of them", "snowflake output %q sets both private_key and private_key_path", o.Name)
		}
	default:
		hint := diag.DidYouMean(o.Type, adapterTypes)
		if hint == "" {
			hint = "Kiln supports: " + strings.Join(adapterTypes, ", ")
		}
		d.Errorf(typeNode, hint, "unknown adapter type %q", o.Type)
	}
	if tn := valueOf(n, "threads"); tn != n {
		if i, ok := scalarInt(d.Resolve(tn)); ok && i < 1 {
			d.Errorf(tn, "", "threads must be at least 1")
		}
	}
}

// valueOf is the value of key in mapping n, or n itself when absent.
func valueOf(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return n
}

// secretKeys are output keys whose values are secrets however they are set.
var secretKeys = map[string]bool{"password": true, "private_key": true, "private_key_passphrase": true, "token": true, "oauth_client_secret": true}

// LoadProfiles parses profiles.yml, expands env_var() templates through
// lookup (os.LookupEnv in the CLI), and decodes every profile. The
// top-level `config:` key is ignored.
func LoadProfiles(file string, src []byte, lookup func(string) (string, bool)) (*Profiles, diag.Diagnostics) {
	root, ds := Parse(file, src)
	if ds.HasErrors() {
		return nil, ds
	}
	ps := &Profiles{Profiles: map[string]*Profile{}}
	if root == nil {
		return ps, ds
	}
	secrets, eds := ExpandEnvSecrets(file, root, lookup)
	ds.Append(eds...)
	ps.Secrets = secrets
	d := NewDecoder(file)
	root = d.Resolve(root)
	if root.Kind != yaml.MappingNode {
		d.TypeError(root, "a mapping of profile names")
		return ps, append(ds, d.Diags...)
	}
	d.EachPair(root, func(k, v *yaml.Node) {
		if k.Value == "config" {
			return
		}
		p := &Profile{Name: k.Value}
		d.DecodeKey(k.Value, v, p)
		for name, o := range p.Outputs {
			if o == nil {
				d.Errorf(k, "", "output %q of profile %q is empty", name, k.Value)
				delete(p.Outputs, name)
				continue
			}
			o.Name = name
		}
		if p.Target == "" && len(p.Outputs) > 0 {
			d.Errorf(v, "name the default output: target: dev", "profile %q has no target", k.Value)
		} else if _, ok := p.Outputs[p.Target]; !ok && p.Outputs != nil {
			names := make([]string, 0, len(p.Outputs))
			for name := range p.Outputs {
				names = append(names, name)
			}
			sort.Strings(names)
			hint := diag.DidYouMean(p.Target, names)
			if hint == "" {
				hint = "outputs are: " + strings.Join(names, ", ")
			}
			d.Diags.Errorf(p.KeyPos["target"], hint, "target %q is not an output of profile %q", p.Target, k.Value)
		}
		ps.Profiles[k.Value] = p
	})
	collectSecrets(root, &ps.Secrets)
	ds.Append(d.Diags...)
	return ps, ds
}

// collectSecrets adds the literal values of secret keys anywhere in n.
func collectSecrets(n *yaml.Node, out *[]string) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if secretKeys[k.Value] && v.Kind == yaml.ScalarNode && v.Value != "" && !contains(*out, v.Value) {
				*out = append(*out, v.Value)
			}
		}
	}
	for _, c := range n.Content {
		collectSecrets(c, out)
	}
}

// Mask replaces every secret in s with "*****".
func (ps *Profiles) Mask(s string) string {
	for _, sec := range ps.Secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "*****")
		}
	}
	return s
}
