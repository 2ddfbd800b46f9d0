// Package seedcsv parses seed CSV files into typed rows: RFC 4180 records,
// a header row naming the columns, and a SQL type inferred for each column
// the way dbt (agate) does, or taken from the seed's column_types.
package seedcsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/dialect"
)

// Inferred column types, in DuckDB's spelling; TypesFor translates them.
const (
	Boolean   = "BOOLEAN"
	Integer   = "INTEGER"
	BigInt    = "BIGINT"
	Double    = "DOUBLE"
	Date      = "DATE"
	Timestamp = "TIMESTAMP"
	Varchar   = "VARCHAR"
)

// Seed is a parsed CSV: its columns with SQL types and its rows. Row values
// are nil (NULL), bool, int64, float64, time.Time (UTC) or string; columns
// typed by column_types keep string values for the database to cast.
type Seed struct {
	Columns []dialect.Column
	Rows    [][]any

	overridden []bool // by column: type taken from column_types
}

// Overridden reports whether column i's type came from column_types.
func (s *Seed) Overridden(i int) bool { return i < len(s.overridden) && s.overridden[i] }

var snowflakeTypes = map[string]string{
	Boolean:   "BOOLEAN",
	Integer:   "NUMBER",
	BigInt:    "NUMBER",
	Double:    "FLOAT",
	Date:      "DATE",
	Timestamp: "TIMESTAMP_NTZ",
	Varchar:   "VARCHAR",
}

// TypesFor returns the columns with inferred types spelled for d;
// column_types overrides are kept as written.
func (s *Seed) TypesFor(d dialect.Dialect) []dialect.Column {
	cols := append([]dialect.Column(nil), s.Columns...)
	if d == nil || d.Name() != "snowflake" {
		return cols
	}
	for i := range cols {
		if t, ok := snowflakeTypes[cols[i].Type]; ok && !s.Overridden(i) {
			cols[i].Type = t
		}
	}
	return cols
}

var bom = []byte("\xEF\xBB\xBF")

// Parse reads the CSV in src (file names it in diagnostics). overrides is
// the seed's column_types config: column name (any case) to SQL type.
func Parse(file string, src []byte, overrides map[string]string) (*Seed, diag.Diagnostics) {
	var ds diag.Diagnostics
	src = bytes.TrimPrefix(src, bom)
	r := csv.NewReader(bytes.NewReader(src))
	r.FieldsPerRecord = -1 // ragged rows are reported below, with positions
	r.ReuseRecord = false

	at := func(line, col int) diag.Pos { return diag.Pos{File: file, Line: line, Col: col} }

	header, err := r.Read()
	if err == io.EOF {
		ds.Errorf(diag.Pos{File: file}, "the first line of a seed names its columns, e.g. id,name", "seed file is empty: a header row is required")
		return nil, ds
	}
	if err != nil {
		ds.Append(csvError(file, err))
		return nil, ds
	}

	seed := &Seed{Columns: make([]dialect.Column, len(header)), overridden: make([]bool, len(header))}
	seen := map[string]int{}
	for i, name := range header {
		line, col := r.FieldPos(i)
		switch key := strings.ToLower(name); {
		case strings.TrimSpace(name) == "":
			ds.Errorf(at(line, col), "give every column a name in the header row", "column %d has an empty name", i+1)
		case seen[key] > 0:
			ds.Errorf(at(line, col), "column names are case-insensitive; rename one of them",
				"duplicate column name %q (also column %d)", name, seen[key])
		default:
			seen[key] = i + 1
		}
		seed.Columns[i].Name = name
	}

	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			ds.Append(csvError(file, err))
			break // the reader cannot resynchronise reliably after a quoting error
		}
		if len(rec) != len(header) {
			line, col := r.FieldPos(0)
			what := "missing"
			if len(rec) > len(header) {
				line, col = r.FieldPos(len(header))
				what = "extra"
			}
			ds.Errorf(at(line, col),
				fmt.Sprintf("the header has %d columns; quote values that contain commas (\"a,b\") and check for %s separators", len(header), what),
				"row has %d values, want %d", len(rec), len(header))
			continue
		}
		row := make([]any, len(rec))
		for i, v := range rec {
			if !isNull(v) {
				row[i] = v
			}
		}
		seed.Rows = append(seed.Rows, row)
	}

	lowerOverrides := map[string]string{}
	for name, typ := range overrides {
		lowerOverrides[strings.ToLower(name)] = typ
		if seen[strings.ToLower(name)] == 0 {
			ds.Warnf(diag.Pos{File: file}, "columns are: "+columnList(header),
				"column_types names column %q, which is not in the seed", name)
		}
	}
	for i := range seed.Columns {
		if t, ok := lowerOverrides[strings.ToLower(seed.Columns[i].Name)]; ok {
			seed.Columns[i].Type = t
			seed.overridden[i] = true
			continue
		}
		seed.Columns[i].Type = infer(seed.Rows, i)
	}
	return seed, ds.Sort()
}

func columnList(header []string) string {
	h := append([]string(nil), header...)
	sort.Strings(h)
	return strings.Join(h, ", ")
}

func csvError(file string, err error) diag.Diagnostic {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return diag.Diagnostic{Severity: diag.Error, Pos: diag.Pos{File: file}, Summary: err.Error()}
	}
	hint := ""
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		hint = `a value containing a quote must itself be quoted, with the quote doubled: "5'10"""`
	case errors.Is(pe.Err, csv.ErrQuote):
		hint = fmt.Sprintf("the quoted value opened on line %d is not closed properly; double quotes inside it (\"\")", pe.StartLine)
	}
	return diag.Diagnostic{Severity: diag.Error, Pos: diag.Pos{File: file, Line: pe.Line, Col: pe.Column},
		Summary: pe.Err.Error(), Hint: hint}
}

// isNull follows dbt's agate settings: empty values and "null" are NULL.
func isNull(v string) bool {
	v = strings.TrimSpace(v)
	return v == "" || strings.EqualFold(v, "null")
}

// Numbers with a leading zero ("007", zip codes) stay text: dbt turning them
// into 7 is a known complaint.
var (
	intRE   = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)
	floatRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)?(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)
	dateRE  = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	tsRE    = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?$`)
)

// infer picks the narrowest type every non-null value of column i fits,
// then converts the values in place.
func infer(rows [][]any, i int) string {
	isBool, isInt, isInt32, isNum, isDate, isTS := true, true, true, true, true, true
	nonNull := false
	for _, row := range rows {
		s, ok := row[i].(string)
		if !ok {
			continue
		}
		nonNull = true
		v := strings.TrimSpace(s)
		if isBool && !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			isBool = false
		}
		if isInt {
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || !intRE.MatchString(v) {
				isInt = false
			} else if n < math.MinInt32 || n > math.MaxInt32 {
				isInt32 = false
			}
		}
		if isNum && !isInt {
			if _, err := strconv.ParseFloat(v, 64); err != nil || !floatRE.MatchString(v) {
				isNum = false
			}
		}
		if isDate || isTS {
			_, isD := parseDate(v)
			_, isT := parseTimestamp(v)
			isDate = isDate && isD
			isTS = isTS && (isD || isT)
		}
	}
	var typ string
	var conv func(string) any
	switch {
	case !nonNull:
		return Varchar
	case isBool:
		typ, conv = Boolean, func(v string) any { return strings.EqualFold(v, "true") }
	case isInt:
		typ = BigInt
		if isInt32 {
			typ = Integer
		}
		conv = func(v string) any { n, _ := strconv.ParseInt(v, 10, 64); return n }
	case isNum:
		typ, conv = Double, func(v string) any { f, _ := strconv.ParseFloat(v, 64); return f }
	case isDate:
		typ, conv = Date, func(v string) any { t, _ := parseDate(v); return t }
	case isTS:
		typ, conv = Timestamp, func(v string) any {
			if t, ok := parseDate(v); ok {
				return t
			}
			t, _ := parseTimestamp(v)
			return t
		}
	default:
		return Varchar
	}
	for _, row := range rows {
		if s, ok := row[i].(string); ok {
			row[i] = conv(strings.TrimSpace(s))
		}
	}
	return typ
}

func parseDate(v string) (time.Time, bool) {
	if !dateRE.MatchString(v) {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01-02", v)
	return t, err == nil
}

func parseTimestamp(v string) (time.Time, bool) {
	if !tsRE.MatchString(v) {
		return time.Time{}, false
	}
	layout := "2006-01-02 15:04:05.999999999"
	if v[10] == 'T' {
		layout = "2006-01-02T15:04:05.999999999"
	}
	t, err := time.Parse(layout, v)
	return t, err == nil
}
