package sfstandin

import (
	"regexp"
	"strings"
)

// The translation from the Snowflake SQL Kiln emits to DuckDB's. It works
// on the text outside string literals and quoted identifiers, by pattern:
// enough for Kiln's dialect and the models in the tests, no more.

type rewrite struct {
	re  *regexp.Regexp
	out string
}

var rewrites = []rewrite{
	{regexp.MustCompile(`(?i)\bcreate\s+or\s+replace\s+transient\s+table\b`), "create or replace table"},
	{regexp.MustCompile(`(?i)\bcreate\s+transient\s+table\b`), "create table"},
	{regexp.MustCompile(`(?i)\bcreate\s+or\s+replace\s+secure\s+view\b`), "create or replace view"},
	// Options DuckDB has no use for: kept grants are the stand-in's
	// bookkeeping (governance.go), clustering is storage layout.
	{regexp.MustCompile(`(?i)\s+copy\s+grants\b`), ""},
	{regexp.MustCompile(`(?i)\s+cluster\s+by\s*\((?:[^()]|\([^()]*\))*\)`), ""},
	{regexp.MustCompile(`(?i)\bsystem\$wait\s*\([^)]*\)`), "'waited'"},
	{regexp.MustCompile(`(?i)\bcreate\s+or\s+replace\s+(?:local\s+|global\s+)?temp(?:orary)?\s+table\b`), "create or replace temporary table"},
	// Types.
	{regexp.MustCompile(`(?i)\bnumber\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)`), "decimal($1,$2)"},
	{regexp.MustCompile(`(?i)\bnumber\s*\(\s*(\d+)\s*\)`), "decimal($1,0)"},
	{regexp.MustCompile(`(?i)\bnumber\b`), "decimal(38,0)"},
	{regexp.MustCompile(`(?i)\btimestamp_ntz\b(?:\s*\(\s*\d+\s*\))?`), "timestamp"},
	{regexp.MustCompile(`(?i)\btimestamp_(?:ltz|tz)\b(?:\s*\(\s*\d+\s*\))?`), "timestamptz"},
	{regexp.MustCompile(`(?i)\btime\s*\(\s*\d+\s*\)`), "time"},
	{regexp.MustCompile(`(?i)\b(?:float[48]?|double\s+precision|real)\b`), "double"},
	{regexp.MustCompile(`(?i)\bbinary\s*\(\s*\d+\s*\)`), "blob"},
	{regexp.MustCompile(`(?i)\bvariant\b`), "json"},
	// Functions.
	{regexp.MustCompile(`(?i)\bdateadd\s*\(\s*['"]?(\w+?)s?['"]?\s*,`), "kiln_dateadd('$1',"},
	{regexp.MustCompile(`(?i)\btimestampadd\s*\(\s*['"]?(\w+?)s?['"]?\s*,`), "kiln_dateadd('$1',"},
	{regexp.MustCompile(`(?i)\bdatediff\s*\(\s*['"]?(\w+?)s?['"]?\s*,`), "date_diff('$1',"},
	{regexp.MustCompile(`(?i)\biff\s*\(`), "if("},
	{regexp.MustCompile(`(?i)\bnvl\s*\(`), "coalesce("},
	{regexp.MustCompile(`(?i)\bto_varchar\s*\(`), "kiln_to_varchar("},
	{regexp.MustCompile(`(?i)\bsysdate\s*\(\s*\)`), "cast(now() as timestamp)"},
	{regexp.MustCompile(`(?i)\bcurrent_timestamp\s*\(\s*\)`), "current_timestamp"},
}

// macros are created on every session: the Snowflake functions above that
// DuckDB spells differently.
var macros = []string{
	`create or replace temp macro kiln_dateadd(u, n, x) as x + n * cast('1 ' || u as interval)`,
	`create or replace temp macro kiln_to_varchar(x) as cast(x as varchar)`,
}

var infoSchemaRE = regexp.MustCompile(`(?i)(?:(?:"[^"]+"|\w+)\.)?information_schema\.(tables|columns|schemata)\b`)

// catalog views over DuckDB's information_schema, with Snowflake's
// upper-case names and type spellings.
const (
	intTypes = `('TINYINT','SMALLINT','INTEGER','BIGINT','HUGEINT','UTINYINT','USMALLINT','UINTEGER','UBIGINT','UHUGEINT')`

	tablesView = `(select upper(table_catalog) as table_catalog, upper(table_schema) as table_schema,
 upper(table_name) as table_name,
 case table_type when 'LOCAL TEMPORARY' then 'TEMPORARY TABLE' else table_type end as table_type
 from information_schema.tables)`

	columnsView = `(select upper(table_catalog) as table_catalog, upper(table_schema) as table_schema,
 upper(table_name) as table_name, upper(column_name) as column_name, ordinal_position, is_nullable,
 case when data_type in ` + intTypes + ` or data_type like 'DECIMAL%' then 'NUMBER'
      when data_type like 'VARCHAR%' then 'TEXT'
      when data_type in ('DOUBLE','FLOAT','REAL') then 'FLOAT'
      when data_type = 'TIMESTAMP WITH TIME ZONE' then 'TIMESTAMP_TZ'
      when data_type like 'TIMESTAMP%' then 'TIMESTAMP_NTZ'
      else data_type end as data_type,
 case when data_type in ` + intTypes + ` then 38 when data_type like 'DECIMAL%' then numeric_precision end as numeric_precision,
 case when data_type in ` + intTypes + ` then 0 when data_type like 'DECIMAL%' then numeric_scale end as numeric_scale,
 case when data_type like 'VARCHAR%' then 16777216 end as character_maximum_length,
 case when data_type like 'TIMESTAMP%' or data_type = 'TIME' then 9 end as datetime_precision
 from information_schema.columns)`

	schemataView = `(select upper(catalog_name) as catalog_name, upper(schema_name) as schema_name from information_schema.schemata)`
)

// translate rewrites one Snowflake statement for DuckDB.
func translate(sql string) string {
	var b strings.Builder
	for _, seg := range segments(sql) {
		if seg.quoted {
			b.WriteString(seg.text)
			continue
		}
		t := seg.text
		for _, r := range rewrites {
			t = r.re.ReplaceAllString(t, r.out)
		}
		t = infoSchemaRE.ReplaceAllStringFunc(t, func(m string) string {
			switch strings.ToLower(infoSchemaRE.FindStringSubmatch(m)[1]) {
			case "tables":
				return tablesView
			case "columns":
				return columnsView
			}
			return schemataView
		})
		b.WriteString(t)
	}
	return b.String()
}

type segment struct {
	text   string
	quoted bool
}

// segments splits sql into plain text, string literals (rewritten from
// Snowflake's backslash escapes to DuckDB's standard strings) and quoted
// identifiers.
func segments(sql string) []segment {
	var out []segment
	start := 0
	for i := 0; i < len(sql); i++ {
		switch c := sql[i]; c {
		case '\'':
			out = append(out, segment{text: sql[start:i]})
			var lit strings.Builder
			lit.WriteByte('\'')
			j := i + 1
			for ; j < len(sql); j++ {
				if sql[j] == '\\' && j+1 < len(sql) {
					j++
					switch sql[j] {
					case '\'':
						lit.WriteString("''")
					case 'n':
						lit.WriteByte('\n')
					case 't':
						lit.WriteByte('\t')
					default:
						lit.WriteByte(sql[j])
					}
					continue
				}
				if sql[j] == '\'' {
					if j+1 < len(sql) && sql[j+1] == '\'' {
						lit.WriteString("''")
						j++
						continue
					}
					break
				}
				lit.WriteByte(sql[j])
			}
			lit.WriteByte('\'')
			out = append(out, segment{text: lit.String(), quoted: true})
			i, start = j, j+1
		case '"':
			j := strings.IndexByte(sql[i+1:], '"')
			if j < 0 {
				continue
			}
			out = append(out, segment{text: sql[start:i]}, segment{text: sql[i : i+j+2], quoted: true})
			i += j + 1
			start = i + 1
		case '-':
			if i+1 < len(sql) && sql[i+1] == '-' {
				j := strings.IndexByte(sql[i:], '\n')
				if j < 0 {
					j = len(sql) - i
				}
				out = append(out, segment{text: sql[start:i]}, segment{text: sql[i : i+j], quoted: true})
				i += j - 1
				start = i + 1
			}
		}
	}
	if start < len(sql) {
		out = append(out, segment{text: sql[start:]})
	}
	return out
}

func trailingSemicolon(s string) string {
	return strings.TrimRight(strings.TrimSpace(s), "; \t\r\n")
}

// firstWords returns the first n keywords of a statement, lower case,
// past comments ("" when there are fewer).
func firstWords(stmt string, n int) []string {
	out := make([]string, n)
	s := stmt
	for k := 0; k < n; k++ {
		for {
			s = strings.TrimLeft(s, " \t\r\n")
			if strings.HasPrefix(s, "--") {
				if i := strings.IndexByte(s, '\n'); i >= 0 {
					s = s[i+1:]
					continue
				}
				s = ""
			}
			if strings.HasPrefix(s, "/*") {
				if i := strings.Index(s, "*/"); i >= 0 {
					s = s[i+2:]
					continue
				}
				s = ""
			}
			break
		}
		if strings.HasPrefix(s, "(") {
			out[k] = "("
			s = s[1:]
			continue
		}
		end := strings.IndexFunc(s, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_')
		})
		if end < 0 {
			end = len(s)
		}
		out[k] = strings.ToLower(s[:end])
		s = s[end:]
	}
	return out
}
