package compiler

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/dialect"
)

// Incremental is how an incremental model is brought up to date. The
// runner decides at run time between a full build (CompiledSQL) and an
// incremental one (SQL, with the predicates below), because that depends on
// whether the target exists and on --full-refresh.
type Incremental struct {
	Strategy  string   `json:"strategy"` // merge, delete+insert, append, microbatch
	UniqueKey []string `json:"unique_key,omitempty"`
	EventTime string   `json:"event_time,omitempty"`
	// ArrivalTime selects every row that arrived after the target's
	// high-water mark, whatever its event time.
	ArrivalTime string `json:"arrival_time,omitempty"`
	// Lookback, with EventTime, reprocesses rows whose event time is within
	// it of the target's newest event time.
	Lookback *dialect.Interval `json:"lookback,omitempty"`
	// Predicates are incremental_predicates, extra conditions on the
	// target side of the merge.
	Predicates     []string `json:"incremental_predicates,omitempty"`
	OnSchemaChange string   `json:"on_schema_change"`
	// BatchSize and Begin are microbatch's.
	BatchSize string `json:"batch_size,omitempty"`
	Begin     string `json:"begin,omitempty"`
	// LookbackBatches is microbatch's lookback, in batches.
	LookbackBatches int `json:"lookback_batches,omitempty"`
	// PruneTarget limits the target side of the merge to the batch's
	// event-time range. It assumes a key's event time never moves later
	// than the time already stored for it: true of events (a correction
	// re-sends the sale's own sold_at), not of change feeds (changed_at
	// grows with each change) or of max(event_at) per key. A stored row
	// outside the range would not match and its key would be inserted
	// twice. On by default, off by default for models with
	// delete_condition (change feeds); prune_target sets it either way.
	PruneTarget bool `json:"prune_target"`
	// DeleteCondition is a predicate over a batch row (op = 'D',
	// _fivetran_deleted): the key's latest change satisfying it removes
	// the key from the target and is never inserted.
	DeleteCondition string `json:"delete_condition,omitempty"`
	// SoftDeleteColumn keeps such rows instead, with this boolean column
	// set to true.
	SoftDeleteColumn string `json:"soft_delete_column,omitempty"`
	// DedupOrder orders the rows of one key, latest first: the one kept.
	DedupOrder []string `json:"dedup_order,omitempty"`
	// SQL is the model rendered with is_incremental() true, before Kiln's
	// own predicates are added.
	SQL string `json:"sql"`
}

var strategies = []string{"merge", "delete+insert", "append", "microbatch"}
var schemaChanges = []string{"ignore", "fail", "append_new_columns", "sync_all_columns"}

// incrementalConfig reads and checks the incremental configs of n.
func (c *compilation) incrementalConfig(n *Node) *Incremental {
	inc := &Incremental{Strategy: "merge", OnSchemaChange: "ignore", PruneTarget: true}
	bad := false
	str := func(key string) string {
		v, ok := n.Config[key]
		if !ok || v == nil {
			return ""
		}
		s, isStr := v.(string)
		if !isStr {
			c.errorf(c.configPos(n, key), fmt.Sprintf("write %s='...'", key), "%s must be a string, got %v", key, v)
			bad = true
		}
		return s
	}
	if s := str("incremental_strategy"); s != "" {
		if !contains(strategies, s) {
			c.errorf(c.configPos(n, "incremental_strategy"), diag.DidYouMean(s, strategies)+" (strategies: merge, delete+insert, append, microbatch)", "unknown incremental_strategy '%s'", s)
			bad = true
		}
		inc.Strategy = s
	}
	if s := str("on_schema_change"); s != "" {
		if !contains(schemaChanges, s) {
			c.errorf(c.configPos(n, "on_schema_change"), diag.DidYouMean(s, schemaChanges)+" (ignore, fail, append_new_columns, sync_all_columns)", "unknown on_schema_change '%s'", s)
			bad = true
		}
		inc.OnSchemaChange = s
	}
	switch k := n.Config["unique_key"].(type) {
	case nil:
	case string:
		for _, part := range strings.Split(k, ",") {
			if p := strings.TrimSpace(part); p != "" {
				inc.UniqueKey = append(inc.UniqueKey, p)
			}
		}
	default:
		inc.UniqueKey = stringList(k)
	}
	inc.EventTime = str("event_time")
	inc.ArrivalTime = str("arrival_time")
	if lb, ok := n.Config["lookback"]; ok && lb != nil {
		if inc.Strategy == "microbatch" {
			switch x := lb.(type) {
			case int:
				inc.LookbackBatches = x
			case int64:
				inc.LookbackBatches = int(x)
			default:
				c.errorf(c.configPos(n, "lookback"), "write lookback=1 (a number of batches)", "microbatch lookback must be a number of batches, got %v", lb)
				bad = true
			}
		} else {
			iv, err := parseInterval(fmt.Sprint(lb))
			if err != nil {
				c.errorf(c.configPos(n, "lookback"), "write lookback='3 days' (minutes, hours, days, weeks or months)", "invalid lookback %q: %v", fmt.Sprint(lb), err)
				bad = true
			}
			inc.Lookback = iv
		}
	} else if inc.Strategy == "microbatch" {
		inc.LookbackBatches = 1
	}
	inc.Predicates = stringList(n.Config["incremental_predicates"])
	pruneSet := false
	if p, ok := n.Config["prune_target"]; ok {
		pruneSet = true
		b, isBool := p.(bool)
		if !isBool {
			c.errorf(c.configPos(n, "prune_target"), "write prune_target=false", "prune_target must be true or false, got %v", p)
			bad = true
		}
		inc.PruneTarget = b
	}
	inc.BatchSize = str("batch_size")
	inc.Begin = str("begin")
	inc.DeleteCondition = str("delete_condition")
	inc.SoftDeleteColumn = str("soft_delete_column")
	c.fivetranDefaults(n, inc)
	if inc.DeleteCondition != "" && !pruneSet {
		// A change feed's event time is the change's: it moves later with
		// every change of a key, which pruning cannot follow.
		inc.PruneTarget = false
	}
	if inc.SoftDeleteColumn != "" && inc.DeleteCondition == "" {
		c.errorf(c.configPos(n, "soft_delete_column"), "add delete_condition=\"op = 'D'\" (or _fivetran_deleted) to say which changes are deletes", "soft_delete_column needs delete_condition")
		bad = true
	}
	if inc.DeleteCondition != "" && inc.Strategy != "merge" && inc.Strategy != "delete+insert" {
		c.errorf(c.configPos(n, "delete_condition"), "use incremental_strategy='merge' or 'delete+insert'", "delete_condition needs a unique_key strategy (merge or delete+insert), not %s", inc.Strategy)
		bad = true
	}
	switch {
	case inc.Strategy == "microbatch":
		if inc.EventTime == "" {
			c.errorf(c.configPos(n, "microbatch"), "add event_time='sold_at' to the model's config", "microbatch model '%s' needs event_time", n.Name)
			bad = true
		}
		if !contains([]string{"hour", "day", "month"}, inc.BatchSize) {
			c.errorf(c.configPos(n, "batch_size"), "add batch_size='day' (hour, day or month)", "microbatch model '%s' needs batch_size hour, day or month", n.Name)
			bad = true
		}
	case inc.Lookback != nil && inc.EventTime == "":
		c.errorf(c.configPos(n, "lookback"), "add event_time='<column>' so Kiln knows which column the lookback applies to", "lookback needs event_time")
		bad = true
	case (inc.Strategy == "merge" || inc.Strategy == "delete+insert") && len(inc.UniqueKey) == 0:
		c.errorf(c.configPos(n, "incremental"), "add unique_key='id' (or a list), or use incremental_strategy='append'", "incremental model '%s' with strategy %s needs a unique_key", n.Name, inc.Strategy)
		bad = true
	}
	if bad {
		return nil
	}
	d := c.dialect
	if inc.ArrivalTime != "" {
		inc.DedupOrder = append(inc.DedupOrder, "kiln_src."+d.Quote(inc.ArrivalTime)+" desc nulls last")
	}
	if inc.EventTime != "" {
		inc.DedupOrder = append(inc.DedupOrder, "kiln_src."+d.Quote(inc.EventTime)+" desc nulls last")
	}
	return inc
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseInterval reads "3 days", "90 minutes", "1 hour", "2 weeks".
func parseInterval(s string) (*dialect.Interval, error) {
	f := strings.Fields(strings.ToLower(strings.TrimSpace(s)))
	if len(f) != 2 {
		return nil, fmt.Errorf("expected a number and a unit")
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 0 {
		return nil, fmt.Errorf("%q is not a whole number", f[0])
	}
	unit := strings.TrimSuffix(f[1], "s")
	switch unit {
	case "minute", "hour", "day", "month":
	case "week":
		n, unit = n*7, "day"
	default:
		return nil, fmt.Errorf("unknown unit %q", f[1])
	}
	return &dialect.Interval{N: n, Unit: unit}, nil
}

// fullBuildSQL is what the first build (and --full-refresh) of an
// incremental model selects: the model, reduced to one row per key by the
// same rule the incremental batches use, and with deleted keys left out
// (or flagged), so both build the same table. When later batches find
// their target rows by event time (pruning, microbatch windows) the rows
// are written in event-time order: DuckDB's zone maps and Snowflake's
// micro-partitions then hold narrow time ranges, and a batch's statements
// skip the history instead of touching every row group of it.
func (c *compilation) fullBuildSQL(inc *Incremental, sql string) string {
	if len(inc.UniqueKey) > 0 && inc.Strategy != "append" && inc.Strategy != "microbatch" {
		if len(inc.DedupOrder) > 0 {
			sql = c.dialect.Dedup(sql, inc.UniqueKey, inc.DedupOrder)
		}
		sql = inc.withDeletes(c.dialect, sql, false)
	}
	if inc.EventTime != "" && (inc.Strategy == "microbatch" || inc.PruneTarget && inc.Strategy != "append") {
		sql = "select * from (\n" + sql + "\n) as kiln_src\norder by " + c.dialect.Quote(inc.EventTime)
	}
	return sql
}

// DeletedFlag is the column a batch carries to mark deletes.
const DeletedFlag = "__kiln_deleted"

// withDeletes applies the delete condition to rows already reduced to one
// per key: in a batch, as the DeletedFlag column the merge reads; in a full
// build, by leaving deleted keys out. With soft deletes both add the
// model's own soft-delete column instead.
func (inc *Incremental) withDeletes(d dialect.Dialect, sql string, batch bool) string {
	if inc.DeleteCondition == "" {
		return sql
	}
	flag := "coalesce((" + inc.DeleteCondition + "), false)"
	switch {
	case inc.SoftDeleteColumn != "":
		return "select kiln_src.*, " + flag + " as " + d.Quote(inc.SoftDeleteColumn) + " from (\n" + sql + "\n) as kiln_src"
	case batch:
		return "select kiln_src.*, " + flag + " as " + DeletedFlag + " from (\n" + sql + "\n) as kiln_src"
	}
	return d.Filter(sql, []string{"not " + flag})
}

// fivetranDefaults applies Fivetran's conventions when the model documents
// its columns and they include Fivetran's: _fivetran_synced is the arrival
// time and _fivetran_deleted the delete condition, unless configured.
func (c *compilation) fivetranDefaults(n *Node, inc *Incremental) {
	for _, col := range n.Columns {
		switch strings.ToLower(col.Name) {
		case "_fivetran_synced":
			if inc.ArrivalTime == "" {
				inc.ArrivalTime = col.Name
			}
		case "_fivetran_deleted":
			if inc.DeleteCondition == "" && inc.Strategy != "append" && inc.Strategy != "microbatch" {
				inc.DeleteCondition = col.Name
			}
		}
	}
}

// Mark is a value read from the warehouse at run time (a high-water mark,
// the batch's earliest event) with its SQL type.
type Mark struct {
	Value string
	Type  string
}

// BatchSQL is the query selecting one batch: the model rendered with
// is_incremental() true, filtered by Kiln's late-data predicate against
// mark (the target's high-water mark of ArrivalTime, else of EventTime; nil
// when the target is empty), and reduced to one row per key.
//
// With arrival_time, every row that arrived at or after the mark; with
// event_time and lookback, every row within lookback of the target's newest
// event; with event_time alone, rows at or after it. Rows exactly at the
// mark are taken again: re-merging them changes nothing, and a row that
// arrived in the same instant as the mark but in a later load would
// otherwise be lost. Append, which cannot re-merge, takes rows strictly
// after the mark.
func (inc *Incremental) BatchSQL(d dialect.Dialect, mark *Mark) string {
	return inc.reduce(d, inc.batchRows(d, mark))
}

// Batch is how a run creates a batch's temporary table: BatchSQL
// materialized, in the statements the dialect stages it with.
type Batch struct {
	// Stage, when set, materializes the batch's rows; then Create (or
	// NoDuplicates: see Check) creates the table; then Drop drops the
	// staged rows.
	Stage string
	// Check, when set, is a query returning whether the staged rows hold
	// a key twice: when they do not, NoDuplicates creates the table
	// without the reduction, which then changes nothing.
	Check        string
	Create       string
	NoDuplicates string
	Drop         string
}

// Batch plans the creation of the batch's temporary table tmp.
func (inc *Incremental) Batch(d dialect.Dialect, mark *Mark, tmp string) Batch {
	rows := inc.batchRows(d, mark)
	if !inc.dedups() || !d.StagesBatch() {
		return Batch{Create: d.CreateTemp(tmp, inc.reduce(d, rows))}
	}
	staged := tmp + "__rows"
	from := "temp." + d.Quote(staged)
	return Batch{
		Stage:        d.CreateTemp(staged, rows),
		Check:        d.HasDuplicateKeys(from, inc.UniqueKey),
		Create:       d.CreateTemp(tmp, inc.reduce(d, "select * from "+from)),
		NoDuplicates: d.CreateTemp(tmp, inc.withDeletes(d, "select * from "+from, true)),
		Drop:         d.DropTemp(staged),
	}
}

// HardDeletes reports whether the batch's rows meeting delete_condition
// are deleted from the target (and carry DeletedFlag in the batch), rather
// than kept with soft_delete_column set.
func (inc *Incremental) HardDeletes() bool {
	return inc.DeleteCondition != "" && inc.SoftDeleteColumn == ""
}

// dedups reports whether a batch is reduced to one row per key.
func (inc *Incremental) dedups() bool {
	return len(inc.UniqueKey) > 0 && inc.Strategy != "append" && len(inc.DedupOrder) > 0
}

// batchRows is the model's SQL filtered by the late-data predicate.
func (inc *Incremental) batchRows(d dialect.Dialect, mark *Mark) string {
	var preds []string
	if col := inc.MarkColumn(); col != "" && mark != nil {
		bound := d.TypedLiteral(mark.Value, mark.Type)
		if inc.ArrivalTime == "" && inc.Lookback != nil {
			bound = d.Minus(bound, *inc.Lookback)
		}
		op := " >= "
		if inc.Strategy == "append" {
			op = " > "
		}
		preds = append(preds, "kiln_src."+d.Quote(col)+op+bound)
	}
	return d.Filter(inc.SQL, preds)
}

// reduce keeps one row per key of the batch rows in sql and adds the
// delete flag.
func (inc *Incremental) reduce(d dialect.Dialect, sql string) string {
	if inc.dedups() {
		sql = d.Dedup(sql, inc.UniqueKey, inc.DedupOrder)
	}
	return inc.withDeletes(d, sql, true)
}

// MarkColumn is the column whose maximum in the target bounds the next
// batch: arrival_time, else event_time, else none (the whole model).
func (inc *Incremental) MarkColumn() string {
	if inc.ArrivalTime != "" {
		return inc.ArrivalTime
	}
	return inc.EventTime
}

// ApplySQL are the statements that apply a batch, materialized as the
// temporary table tmp with columns cols, to the target rel. batchMin, the
// batch's earliest event time, prunes the target side of the merge so its
// cost follows the batch, not the history.
func (inc *Incremental) ApplySQL(d dialect.Dialect, rel dialect.Relation, tmp string, cols []string, batchMin *Mark) []string {
	hardDeletes := inc.HardDeletes()
	var written []string
	for _, c := range cols {
		if !(hardDeletes && c == DeletedFlag) {
			written = append(written, c)
		}
	}
	cols = written
	m := dialect.Merge{Target: rel, Source: d.Quote(tmp), Keys: inc.UniqueKey, Insert: cols}
	if hardDeletes {
		m.DeleteWhen = "DBT_INTERNAL_SOURCE." + DeletedFlag
	}
	for _, c := range cols {
		if !containsFold(inc.UniqueKey, c) {
			m.Update = append(m.Update, c)
		}
	}
	if inc.EventTime != "" && batchMin != nil && inc.PruneTarget {
		m.Prune = append(m.Prune, "DBT_INTERNAL_DEST."+d.Quote(inc.EventTime)+" >= "+d.TypedLiteral(batchMin.Value, batchMin.Type))
	}
	m.Prune = append(m.Prune, inc.Predicates...)
	switch inc.Strategy {
	case "delete+insert":
		where := ""
		if hardDeletes {
			where = "not " + DeletedFlag
		}
		return []string{d.DeleteMatching(m), d.InsertSelect(rel, cols, d.Quote(tmp), where)}
	case "append":
		return []string{d.InsertSelect(rel, cols, d.Quote(tmp), "")}
	}
	return []string{d.Merge(m)}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
