package dialect_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/dialect"
)

// The Snowflake text of every snapshot statement, for the timestamp
// strategy with a composite key and hard_deletes=new_record, and for the
// check strategy with dbt_valid_to_current and a keyword column.
func TestSnowflakeSnapshotSQL(t *testing.T) {
	now := snow.TypedLiteral("2024-03-01 12:00:00.000000", "timestamp")
	ts := dialect.Snapshot{
		Target: dialect.Relation{Database: "ANALYTICS", Schema: "snapshots", Identifier: "orders_snapshot"},
		Staged: snow.Quote("kiln_snapshot__orders_snapshot"), Columns: []string{"store_id", "order_id", "status", "updated_at"},
		TargetColumns: []string{"store_id", "order_id", "status", "updated_at", "old_col"}, UniqueKey: []string{"store_id", "order_id"},
		Strategy: "timestamp", UpdatedAt: "updated_at", Now: now, HardDeletes: "new_record",
	}
	sameSnapshotSQL(t, snow.SnapshotCreate(ts), `create table ANALYTICS.snapshots.orders_snapshot as
select
    source_data.*,
    md5(coalesce(cast(source_data.store_id as varchar), '') || '|' || coalesce(cast(source_data.order_id as varchar), '') || '|' || coalesce(cast(source_data.updated_at as varchar), '')) as dbt_scd_id,
    source_data.updated_at as dbt_updated_at,
    source_data.updated_at as dbt_valid_from,
    nullif(source_data.updated_at, source_data.updated_at) as dbt_valid_to,
    'False' as dbt_is_deleted
from kiln_snapshot__orders_snapshot as source_data`)
	sameSnapshotSQL(t, snow.SnapshotDuplicateKeys(ts), `select count(*) from (
    select store_id, order_id
    from kiln_snapshot__orders_snapshot
    group by store_id, order_id
    having count(*) > 1
) as dbt_duplicate_keys`)
	sameSnapshotStatements(t, snow.SnapshotMerge(ts), []dialect.SnapshotStatement{
		{"close", `update ANALYTICS.snapshots.orders_snapshot as snapshotted_data
set dbt_valid_to = source_data.updated_at
from kiln_snapshot__orders_snapshot as source_data
where snapshotted_data.store_id = source_data.store_id
  and snapshotted_data.order_id = source_data.order_id
  and snapshotted_data.dbt_valid_to is null
  and (source_data.updated_at > snapshotted_data.dbt_updated_at
    or snapshotted_data.dbt_is_deleted = 'True')`},
		{"delete_record", `insert into ANALYTICS.snapshots.orders_snapshot (store_id, order_id, status, updated_at, old_col, dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to, dbt_is_deleted)
select
    snapshotted_data.store_id, snapshotted_data.order_id, snapshotted_data.status, snapshotted_data.updated_at, snapshotted_data.old_col,
    md5(coalesce(cast(snapshotted_data.store_id as varchar), '') || '|' || coalesce(cast(snapshotted_data.order_id as varchar), '') || '|' || coalesce(cast(cast('2024-03-01 12:00:00.000000' as timestamp) as varchar), '')),
    cast('2024-03-01 12:00:00.000000' as timestamp),
    cast('2024-03-01 12:00:00.000000' as timestamp),
    nullif(cast('2024-03-01 12:00:00.000000' as timestamp), cast('2024-03-01 12:00:00.000000' as timestamp)),
    'True'
from ANALYTICS.snapshots.orders_snapshot as snapshotted_data
where snapshotted_data.dbt_valid_to is null
  and coalesce(snapshotted_data.dbt_is_deleted, 'False') <> 'True'
  and not exists (
    select 1 from kiln_snapshot__orders_snapshot as source_data
    where snapshotted_data.store_id = source_data.store_id
      and snapshotted_data.order_id = source_data.order_id
  )`},
		{"invalidate", `update ANALYTICS.snapshots.orders_snapshot as snapshotted_data
set dbt_valid_to = cast('2024-03-01 12:00:00.000000' as timestamp)
where snapshotted_data.dbt_valid_to is null
  and coalesce(snapshotted_data.dbt_is_deleted, 'False') <> 'True'
  and not exists (
    select 1 from kiln_snapshot__orders_snapshot as source_data
    where snapshotted_data.store_id = source_data.store_id
      and snapshotted_data.order_id = source_data.order_id
  )`},
		{"insert", `insert into ANALYTICS.snapshots.orders_snapshot (store_id, order_id, status, updated_at, dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to, dbt_is_deleted)
select
    source_data.store_id, source_data.order_id, source_data.status, source_data.updated_at,
    md5(coalesce(cast(source_data.store_id as varchar), '') || '|' || coalesce(cast(source_data.order_id as varchar), '') || '|' || coalesce(cast(source_data.updated_at as varchar), '')),
    source_data.updated_at,
    source_data.updated_at,
    nullif(source_data.updated_at, source_data.updated_at),
    'False'
from kiln_snapshot__orders_snapshot as source_data
where not exists (
    select 1 from ANALYTICS.snapshots.orders_snapshot as snapshotted_data
    where snapshotted_data.store_id = source_data.store_id
      and snapshotted_data.order_id = source_data.order_id
      and snapshotted_data.dbt_valid_to is null
)`},
	})

	check := dialect.Snapshot{
		Target: dialect.Relation{Schema: "snapshots", Identifier: "customers"}, Staged: snow.Quote("kiln_snapshot__customers"),
		Columns: []string{"id", "name", "order"}, UniqueKey: []string{"id"}, Strategy: "check", CheckCols: []string{"name", "order"},
		Now: now, HardDeletes: "invalidate", ValidToCurrent: "to_timestamp('9999-12-31')",
	}
	sameSnapshotSQL(t, snow.SnapshotCreate(check), `create table snapshots.customers as
select
    source_data.*,
    md5(coalesce(cast(source_data.id as varchar), '') || '|' || coalesce(cast(cast('2024-03-01 12:00:00.000000' as timestamp) as varchar), '')) as dbt_scd_id,
    cast('2024-03-01 12:00:00.000000' as timestamp) as dbt_updated_at,
    cast('2024-03-01 12:00:00.000000' as timestamp) as dbt_valid_from,
    coalesce(nullif(cast('2024-03-01 12:00:00.000000' as timestamp), cast('2024-03-01 12:00:00.000000' as timestamp)), to_timestamp('9999-12-31')) as dbt_valid_to
from kiln_snapshot__customers as source_data`)
	sameSnapshotStatements(t, snow.SnapshotMerge(check), []dialect.SnapshotStatement{
		{"close", `update snapshots.customers as snapshotted_data
set dbt_valid_to = cast('2024-03-01 12:00:00.000000' as timestamp)
from kiln_snapshot__customers as source_data
where snapshotted_data.id = source_data.id
  and (snapshotted_data.dbt_valid_to is null or snapshotted_data.dbt_valid_to = to_timestamp('9999-12-31'))
  and (snapshotted_data.name is distinct from source_data.name
    or snapshotted_data."ORDER" is distinct from source_data."ORDER")`},
		{"invalidate", `update snapshots.customers as snapshotted_data
set dbt_valid_to = cast('2024-03-01 12:00:00.000000' as timestamp)
where (snapshotted_data.dbt_valid_to is null or snapshotted_data.dbt_valid_to = to_timestamp('9999-12-31'))
  and not exists (
    select 1 from kiln_snapshot__customers as source_data
    where snapshotted_data.id = source_data.id
  )`},
		{"insert", `insert into snapshots.customers (id, name, "ORDER", dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to)
select
    source_data.id, source_data.name, source_data."ORDER",
    md5(coalesce(cast(source_data.id as varchar), '') || '|' || coalesce(cast(cast('2024-03-01 12:00:00.000000' as timestamp) as varchar), '')),
    cast('2024-03-01 12:00:00.000000' as timestamp),
    cast('2024-03-01 12:00:00.000000' as timestamp),
    coalesce(nullif(cast('2024-03-01 12:00:00.000000' as timestamp), cast('2024-03-01 12:00:00.000000' as timestamp)), to_timestamp('9999-12-31'))
from kiln_snapshot__customers as source_data
where not exists (
    select 1 from snapshots.customers as snapshotted_data
    where snapshotted_data.id = source_data.id
      and (snapshotted_data.dbt_valid_to is null or snapshotted_data.dbt_valid_to = to_timestamp('9999-12-31'))
)`},
	})
}

// With hard_deletes=ignore there is nothing but the close and the insert;
// DuckDB's text differs from Snowflake's only in quoting.
func TestSnapshotStatementsIgnoreDeletes(t *testing.T) {
	s := dialect.Snapshot{Target: dialect.Relation{Schema: "main", Identifier: "s"}, Staged: "kiln_snapshot__s", Columns: []string{"id", "order"},
		UniqueKey: []string{"id"}, Strategy: "check", CheckCols: []string{"order"}, Now: "now()", HardDeletes: "ignore"}
	var actions []string
	for _, st := range duck.SnapshotMerge(s) {
		actions = append(actions, st.Action)
	}
	sameSnapshotSQL(t, fmt.Sprint(actions), "[close insert]")
	d, sf := duck.SnapshotMerge(s), snow.SnapshotMerge(s)
	for i := range d {
		sameSnapshotSQL(t, strings.ReplaceAll(d[i].SQL, `"order"`, `"ORDER"`), sf[i].SQL)
	}
}

func sameSnapshotSQL(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func sameSnapshotStatements(t *testing.T, got, want []dialect.SnapshotStatement) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d statements, want %d: %v", len(got), len(want), got)
	}
	for i := range got {
		sameSnapshotSQL(t, got[i].Action, want[i].Action)
		sameSnapshotSQL(t, got[i].SQL, want[i].SQL)
	}
}
