package dialect

import "strings"

// SQL for operations outside a build: dropping an environment, source
// freshness, reconciliation. Each works in every dialect through Quote and
// Render.

// DropSchema drops an (empty) schema if it exists.
func DropSchema(d Dialect, database, schema string) string {
	return "drop schema if exists " + d.Render(Relation{Database: database, Schema: schema})
}

// MaxLoadedAt selects max(field) of rel, filtered by the source's
// freshness filter when there is one. field is a SQL expression, as in dbt.
func MaxLoadedAt(rel, field, filter string) string {
	q := "select max(" + field + ") as max_loaded_at from " + rel
	if strings.TrimSpace(filter) != "" {
		q += " where " + filter
	}
	return q
}

// GroupTotals selects, per group of keys, the row count and the sum of
// each measure of rel (keys and measures are SQL expressions). The key
// columns are cast to text so two warehouses' groups compare alike.
func GroupTotals(rel string, keys, measures []string, where string) string {
	var cols []string
	for _, k := range keys {
		cols = append(cols, "cast("+k+" as varchar)")
	}
	cols = append(cols, "count(*)")
	for _, m := range measures {
		cols = append(cols, "cast(sum("+m+") as double)")
	}
	q := "select " + strings.Join(cols, ", ") + " from " + rel
	if strings.TrimSpace(where) != "" {
		q += " where " + where
	}
	if len(keys) > 0 {
		var idx []string
		for i := range keys {
			idx = append(idx, itoa(i+1))
		}
		q += " group by " + strings.Join(idx, ", ")
	}
	return q
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
