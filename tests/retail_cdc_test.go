package tests

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The retail example's CDC source: the store assortment, kept in Cassandra,
// arrives as a change log (op I/U/D, change_seq, changed_at, _ingested_at)
// and dim_store_assortment applies it incrementally with
// delete_condition="op = 'D'". TestRetailExampleIncrementalEqualsFullRefresh
// calls checkAssortment after every build.

// assortmentTruth is the assortment computed straight from the raw change
// log: each key's latest change by change_seq, delisted keys (latest op D)
// absent.
const assortmentTruth = `
select store_id, product_id, cast(change_seq as bigint), cast(reorder_point as bigint), cast(safety_stock as bigint),
       cast(order_up_to as bigint), replenishment_mode
from (
    select * from read_parquet('data/raw_replenishment/assortment_changes/*.parquet', union_by_name = true)
    qualify row_number() over (partition by store_id, product_id order by change_seq desc) = 1
)
where op <> 'D'`

const assortmentDim = `
select store_id, product_id, cast(change_seq as bigint), cast(reorder_point as bigint), cast(safety_stock as bigint),
       cast(order_up_to as bigint), replenishment_mode
from retail.main.dim_store_assortment`

// assortmentState is dim_store_assortment after a build.
type assortmentState struct {
	seq                     map[string]int64 // store_id|product_id -> change_seq
	maxChanged, maxIngested time.Time
	landed                  assortmentLanded // what the build changed
}

// assortmentLanded counts what builds did to dim_store_assortment.
type assortmentLanded struct {
	deleted  int // keys the build removed
	relisted int // keys whose latest change became a re-insert after a delete
	late     int // changes it took that changed before the dim's newest changed_at
}

func (l *assortmentLanded) add(o assortmentLanded) {
	l.deleted += o.deleted
	l.relisted += o.relisted
	l.late += o.late
}

// shadowRetail is a second copy of the retail project dir reading the same
// data/ (a symlink), where dim_store_assortment is rebuilt from scratch.
func shadowRetail(t *testing.T, dir string) string {
	t.Helper()
	shadow := t.TempDir()
	copyTree(t, dir, shadow, "target", "data")
	if err := os.Symlink(filepath.Join(dir, "data"), filepath.Join(shadow, "data")); err != nil {
		t.Fatal(err)
	}
	return shadow
}

// checkAssortment checks dim_store_assortment, as the last build in dir
// left it, against a full refresh of it (built in shadow) and against
// assortmentTruth, and reports what changed since before.
func checkAssortment(t *testing.T, dir, shadow, when string, before assortmentState) assortmentState {
	t.Helper()
	if r := kiln(t, shadow, nil, "run", "--full-refresh", "--select", "+dim_store_assortment"); r.code != 0 {
		t.Fatalf("%s: full refresh of dim_store_assortment: exit %d\n%s", when, r.code, r.output())
	}
	db := retailDB(t, dir)
	defer db.Close()
	if _, err := db.Exec("attach '" + filepath.Join(shadow, "target", "retail.duckdb") + "' as fresh (read_only)"); err != nil {
		t.Fatal(err)
	}
	var diff int64
	q := `select count(*) from (
		(select * from retail.main.dim_store_assortment except all select * from fresh.main.dim_store_assortment)
		union all
		(select * from fresh.main.dim_store_assortment except all select * from retail.main.dim_store_assortment))`
	if err := db.QueryRow(q).Scan(&diff); err != nil {
		t.Fatal(err)
	}
	if diff != 0 {
		t.Errorf("%s: incremental dim_store_assortment differs from a full refresh in %d rows", when, diff)
	}
	var missing, extra int64
	q = "select (select count(*) from (" + assortmentTruth + " except all " + assortmentDim + ")), (select count(*) from (" + assortmentDim + " except all " + assortmentTruth + "))"
	if err := db.QueryRow(q).Scan(&missing, &extra); err != nil {
		t.Fatal(err)
	}
	if missing != 0 || extra != 0 {
		t.Errorf("%s: dim_store_assortment against the raw change log: %d rows missing, %d rows that should not be there", when, missing, extra)
	}

	after := assortmentState{seq: map[string]int64{}}
	rs, err := db.Query("select store_id || '|' || product_id, change_seq, op from retail.main.dim_store_assortment")
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	for rs.Next() {
		var key, op string
		var seq int64
		if err := rs.Scan(&key, &seq, &op); err != nil {
			t.Fatal(err)
		}
		after.seq[key] = seq
		if prev, ok := before.seq[key]; before.seq != nil && op == "I" && seq > 1 && (!ok || prev < seq) {
			after.landed.relisted++
		}
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	for key := range before.seq {
		if _, ok := after.seq[key]; !ok {
			after.landed.deleted++
		}
	}
	if err := db.QueryRow("select max(changed_at), max(_ingested_at) from retail.main.dim_store_assortment").Scan(&after.maxChanged, &after.maxIngested); err != nil {
		t.Fatal(err)
	}
	if before.seq != nil {
		// Late: arrived after the previous build, changed before the newest
		// change it had (an event-time predicate would have missed it).
		q := "select count(*) from read_parquet('data/raw_replenishment/assortment_changes/*.parquet', union_by_name = true) where _ingested_at > ? and changed_at < ?"
		var late int64
		if err := db.QueryRow(q, before.maxIngested, before.maxChanged).Scan(&late); err != nil {
			t.Fatal(err)
		}
		after.landed.late = int(late)
	}
	if len(after.seq) == 0 {
		t.Fatalf("%s: dim_store_assortment is empty", when)
	}
	return after
}
