package seedcsv_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kiln-build/kiln/compiler/seedcsv"
)

// FuzzParse checks that Parse never panics and that a seed without errors
// is rectangular with values matching their column types.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.csv"))
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		s, ds := seedcsv.Parse("f.csv", src, map[string]string{"b": "text"})
		if ds.HasErrors() {
			return
		}
		for _, row := range s.Rows {
			if len(row) != len(s.Columns) {
				t.Fatalf("row has %d values for %d columns", len(row), len(s.Columns))
			}
			for i, v := range row {
				if v == nil {
					continue
				}
				ok := false
				switch s.Columns[i].Type {
				case seedcsv.Boolean:
					_, ok = v.(bool)
				case seedcsv.Integer, seedcsv.BigInt:
					_, ok = v.(int64)
				case seedcsv.Double:
					_, ok = v.(float64)
				case seedcsv.Date, seedcsv.Timestamp:
					_, ok = v.(time.Time)
				default:
					_, ok = v.(string)
				}
				if !ok {
					t.Fatalf("column %s %s holds %T", s.Columns[i].Name, s.Columns[i].Type, v)
				}
			}
		}
	})
}
