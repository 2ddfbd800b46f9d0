package seedcsv_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/compiler/dialect"
	"github.com/kiln-build/kiln/compiler/seedcsv"
)

func parseFile(t *testing.T, name string, overrides map[string]string) (*seedcsv.Seed, string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s, ds := seedcsv.Parse("seeds/"+name, src, overrides)
	var msgs []string
	for _, d := range ds {
		msgs = append(msgs, d.Severity.String()+": "+d.String()+" | "+d.Hint)
	}
	return s, strings.Join(msgs, "\n")
}

// expectDiags is the one-line helper for error cases: the diagnostics'
// one-line forms, joined by newlines, must contain each of want.
func expectDiags(t *testing.T, name string, want ...string) {
	t.Helper()
	_, got := parseFile(t, name, nil)
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s: diagnostics\n%s\ndo not contain %q", name, got, w)
		}
	}
}

func date(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

func TestParseTricky(t *testing.T) {
	s, ds := parseFile(t, "tricky.csv", nil)
	if ds != "" {
		t.Fatal(ds)
	}
	wantCols := []dialect.Column{
		{Name: "id", Type: "INTEGER"}, {Name: "name", Type: "VARCHAR"}, {Name: "amount", Type: "DOUBLE"},
		{Name: "active", Type: "BOOLEAN"}, {Name: "day", Type: "DATE"}, {Name: "at", Type: "TIMESTAMP"},
	}
	if !reflect.DeepEqual(s.Columns, wantCols) {
		t.Errorf("columns = %v, want %v", s.Columns, wantCols)
	}
	wantRows := [][]any{
		{int64(1), "Smith, John", 1.5, true, date(2024, 1, 2), time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
		{int64(2), "multi\nline \"quoted\"", 2.0, false, nil, time.Date(2024, 1, 2, 3, 4, 5, 123e6, time.UTC)},
		{int64(3), nil, -2.5, true, date(2024, 2, 29), date(2024, 3, 1)},
	}
	if !reflect.DeepEqual(s.Rows, wantRows) {
		t.Errorf("rows = %#v\nwant %#v", s.Rows, wantRows)
	}
}

func TestParseBOMAndCRLF(t *testing.T) {
	s, ds := parseFile(t, "bom_crlf.csv", nil)
	if ds != "" {
		t.Fatal(ds)
	}
	// Leading zeros keep a column text (zip codes), unlike dbt.
	want := []dialect.Column{{Name: "zip", Type: "VARCHAR"}, {Name: "code", Type: "INTEGER"}}
	if !reflect.DeepEqual(s.Columns, want) {
		t.Errorf("columns = %v, want %v", s.Columns, want)
	}
	if !reflect.DeepEqual(s.Rows, [][]any{{"007", int64(1)}, {"01234", int64(2)}}) {
		t.Errorf("rows = %#v", s.Rows)
	}
}

func TestParseErrors(t *testing.T) {
	expectDiags(t, "ragged.csv",
		"seeds/ragged.csv:3:1: row has 1 values, want 2 | the header has 2 columns",
		"seeds/ragged.csv:4:5: row has 3 values, want 2 | the header has 2 columns",
	)
	expectDiags(t, "bad_header.csv",
		`seeds/bad_header.csv:1:5: duplicate column name "A" (also column 1)`,
		"seeds/bad_header.csv:1:7: column 4 has an empty name",
	)
	expectDiags(t, "bare_quote.csv", `seeds/bare_quote.csv:2:4: bare " in non-quoted-field | a value containing a quote`)
	expectDiags(t, "unclosed.csv", `seeds/unclosed.csv:2:7: extraneous or missing " in quoted-field | the quoted value opened on line 2`)
}

func TestParseSmallCases(t *testing.T) {
	cases := []struct {
		name, csv string
		types     []string
		rows      [][]any
		diag      string
	}{
		{"empty file", "", nil, nil, "x.csv: seed file is empty: a header row is required"},
		{"header only", "a,b\n", []string{"VARCHAR", "VARCHAR"}, nil, ""},
		{"all null", "a\n\"\"\nnull\nNULL\n", []string{"VARCHAR"}, [][]any{{nil}, {nil}, {nil}}, ""},
		{"bigint", "a\n1\n3000000000\n", []string{"BIGINT"}, [][]any{{int64(1)}, {int64(3000000000)}}, ""},
		{"int and float", "a\n1\n2.5\n", []string{"DOUBLE"}, [][]any{{1.0}, {2.5}}, ""},
		{"huge int is double", "a\n99999999999999999999\n", []string{"DOUBLE"}, [][]any{{1e20}}, ""},
		{"not numbers", "a\n1\nNaN\n", []string{"VARCHAR"}, [][]any{{"1"}, {"NaN"}}, ""},
		{"plus sign", "a\n+1\n", []string{"VARCHAR"}, [][]any{{"+1"}}, ""},
		{"bool and int", "a\ntrue\n1\n", []string{"VARCHAR"}, [][]any{{"true"}, {"1"}}, ""},
		{"padded number", "a\n 5 \n", []string{"INTEGER"}, [][]any{{int64(5)}}, ""},
		{"bad date", "a\n2024-02-30\n", []string{"VARCHAR"}, [][]any{{"2024-02-30"}}, ""},
		{"date and text", "a\n2024-02-03\nsoon\n", []string{"VARCHAR"}, [][]any{{"2024-02-03"}, {"soon"}}, ""},
		{"timestamp with zone stays text", "a\n2024-01-01T00:00:00Z\n", []string{"VARCHAR"}, [][]any{{"2024-01-01T00:00:00Z"}}, ""},
		{"text keeps spaces", "a\n x \n", []string{"VARCHAR"}, [][]any{{" x "}}, ""},
		{"blank lines skipped", "a\n\n1\n\n", []string{"INTEGER"}, [][]any{{int64(1)}}, ""},
		{"no trailing newline", "a,b\n1,\"x\"", []string{"INTEGER", "VARCHAR"}, [][]any{{int64(1), "x"}}, ""},
	}
	for _, c := range cases {
		s, ds := seedcsv.Parse("x.csv", []byte(c.csv), nil)
		if c.diag != "" {
			if ds.Error() != c.diag {
				t.Errorf("%s: diagnostics %q, want %q", c.name, ds.Error(), c.diag)
			}
			continue
		}
		if len(ds) > 0 {
			t.Errorf("%s: %v", c.name, ds)
			continue
		}
		var types []string
		for _, col := range s.Columns {
			types = append(types, col.Type)
		}
		if !reflect.DeepEqual(types, c.types) {
			t.Errorf("%s: types %v, want %v", c.name, types, c.types)
		}
		if !reflect.DeepEqual(s.Rows, c.rows) {
			t.Errorf("%s: rows %#v, want %#v", c.name, s.Rows, c.rows)
		}
	}
}

func TestOverridesAndTypesFor(t *testing.T) {
	s, ds := parseFile(t, "override.csv", map[string]string{"PRICE": "decimal(10,2)", "missing": "int"})
	want := `warning: seeds/override.csv: column_types names column "missing", which is not in the seed | columns are: id, price`
	if ds != want {
		t.Errorf("diagnostics:\n%s\nwant\n%s", ds, want)
	}
	if got := s.Columns[1]; got.Type != "decimal(10,2)" || !s.Overridden(1) || s.Overridden(0) {
		t.Errorf("override not applied: %v", s.Columns)
	}
	if !reflect.DeepEqual(s.Rows, [][]any{{int64(1), "10.50"}, {int64(2), nil}}) {
		t.Errorf("rows = %#v", s.Rows)
	}
	if got := s.TypesFor(dialect.DuckDB{}); !reflect.DeepEqual(got, s.Columns) {
		t.Errorf("TypesFor(duckdb) = %v", got)
	}
	if got := s.TypesFor(dialect.Snowflake{}); got[0].Type != "NUMBER" || got[1].Type != "decimal(10,2)" {
		t.Errorf("TypesFor(snowflake) = %v", got)
	}

	s, _ = parseFile(t, "tricky.csv", nil)
	var types []string
	for _, c := range s.TypesFor(dialect.Snowflake{}) {
		types = append(types, c.Type)
	}
	if strings.Join(types, " ") != "NUMBER VARCHAR FLOAT BOOLEAN DATE TIMESTAMP_NTZ" {
		t.Errorf("snowflake types = %v", types)
	}
}
