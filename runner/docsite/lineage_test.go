package docsite

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/runner"
)

// fakeRelations knows main.orders, main.customers and raw.events (whose
// columns are unknown).
type fakeRelations map[string][]string

func (f fakeRelations) Resolve(catalog, schema, table string) (string, []string, bool) {
	cols, ok := f[strings.ToLower(table)]
	if !ok {
		return "", nil, false
	}
	return "model.p." + strings.ToLower(table), cols, true
}

var rels = fakeRelations{
	"orders":    {"order_id", "customer_id", "amount", "ordered_at"},
	"customers": {"customer_id", "name", "region"},
	"events":    nil,
}

// lineage renders each output column as name<-node.col,... or name?reason.
func lineage(t *testing.T, sql string) string {
	t.Helper()
	p, err := NewSQLParser(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	tree, err := p.Parse(context.Background(), sql)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := LineageFromTree(tree, rels)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, c := range cols {
		var srcs []string
		for _, s := range c.Sources {
			srcs = append(srcs, strings.TrimPrefix(s.Node, "model.p.")+"."+s.Column)
		}
		sort.Strings(srcs)
		part := c.Name + "<-" + strings.Join(srcs, ",")
		if c.Derived {
			part += "(derived)"
		}
		if c.Untraced != "" {
			part += "?" + c.Untraced
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, " | ")
}

func TestLineage(t *testing.T) {
	cases := []struct{ name, sql, want string }{
		{"aliases and join",
			`select o.order_id as id, c.name customer_name, o.amount from "db"."main"."orders" o join main.customers as c on o.customer_id = c.customer_id`,
			"id<-orders.order_id | customer_name<-customers.name | amount<-orders.amount"},
		{"cte and aggregate",
			`with per as (select customer_id, sum(amount) as total, count(*) as n from orders group by 1)
			 select c.region, sum(per.total) as revenue, max(n) as most from per join customers c using (customer_id) group by 1`,
			"region<-customers.region | revenue<-orders.amount(derived) | most<-(derived)"},
		{"window function",
			`select order_id, row_number() over (partition by customer_id order by ordered_at) as rn, sum(amount) over (partition by customer_id) as running from orders`,
			"order_id<-orders.order_id | rn<-orders.customer_id,orders.ordered_at(derived) | running<-orders.amount,orders.customer_id(derived)"},
		{"select star from known relations and cte",
			`with c as (select * from customers) select o.*, c.* exclude (customer_id) from orders o join c on o.customer_id = c.customer_id`,
			"order_id<-orders.order_id | customer_id<-orders.customer_id | amount<-orders.amount | ordered_at<-orders.ordered_at | name<-customers.name | region<-customers.region"},
		{"select star from unknown source",
			`select * from raw.events`,
			"*<-?select * from raw.events, whose columns are not in the catalog"},
		{"ambiguous unqualified column",
			`select customer_id from orders join customers on true`,
			"customer_id<-?column customer_id is ambiguous: it is in orders and customers"},
		{"subquery, cast, case and union",
			`select s.id::varchar as id, case when s.amt > 0 then 'pos' end as sign from (select order_id as id, amount as amt from orders union all select customer_id, 0 from customers) s`,
			"id<-customers.customer_id,orders.order_id | sign<-orders.amount(derived)"},
		{"unknown relation column",
			`select e.kind, o.amount from orders o join events e on e.id = o.order_id join lookup l on l.k = o.order_id`,
			"kind<-events.kind | amount<-orders.amount"},
		{"cte over a node with unknown columns",
			`with e as (select * from raw.events), f as (select * from e) select f.kind, count(*) as n from f group by 1`,
			"kind<-events.kind | n<-(derived)"},
		{"unqualified with an unknown relation",
			`select kind from orders o, lookup l`,
			"kind<-?column kind comes from lookup, whose columns are unknown"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := lineage(t, c.sql); got != c.want {
				t.Errorf("%s\n got: %s\nwant: %s", c.sql, got, c.want)
			}
		})
	}
	_ = fmt.Sprint
}

// Where an expression reads several columns that cannot be traced, the
// reason names the same one every time, and one query parsing many
// statements gives each the tree it gets alone.
func TestLineageIsDeterministic(t *testing.T) {
	ctx := context.Background()
	p, err := NewSQLParser(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	sql := "select lead(kind) over (partition by id order by ts) as next_kind from read_parquet('events.parquet')"
	tree, err := p.Parse(ctx, sql)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 30 {
		cols, err := LineageFromTree(tree, rels)
		if err != nil {
			t.Fatal(err)
		}
		seen[cols[0].Untraced] = true
	}
	if len(seen) != 1 {
		t.Errorf("the reason changes from run to run: %v", seen)
	}

	sqls := []string{sql, "select order_id from main.orders;", "select 'it''s' as s"}
	trees, err := p.ParseAll(ctx, sqls)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range sqls {
		one, err := p.Parse(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if string(trees[i]) != string(one) {
			t.Errorf("statement %d parsed with others:\n%s\nalone:\n%s", i, trees[i], one)
		}
	}

	// A statement that does not parse gets a tree that says so, and its
	// model an error; the others are traced. If the whole query fails,
	// each statement is parsed alone, with the same outcome.
	m := &compiler.Manifest{Nodes: map[string]*compiler.Node{
		"model.p.a": {UniqueID: "model.p.a", CompiledSQL: sqls[1]},
		"model.p.b": {UniqueID: "model.p.b", CompiledSQL: "select from where"},
		"model.p.c": {UniqueID: "model.p.c", CompiledSQL: sqls[2]},
	}}
	ids := []string{"model.p.a", "model.p.b", "model.p.c"}
	batched := lineageOfBatch(ctx, p, m, ids, &manifestRelations{})
	alone := lineageOfBatch(ctx, &SQLParser{q: noBatches{p.q}}, m, ids, &manifestRelations{})
	for _, ls := range [][]*ModelLineage{batched, alone} {
		if ls[0].Error != "" || len(ls[0].Columns) != 1 || ls[2].Error != "" || len(ls[2].Columns) != 1 {
			t.Errorf("the models that parse: %+v, %+v", ls[0], ls[2])
		}
		if !strings.Contains(ls[1].Error, "syntax error") {
			t.Errorf("the model that does not parse: %+v", ls[1])
		}
	}
}

// noBatches fails every query that parses more than one statement.
type noBatches struct{ runner.Execer }

func (n noBatches) Query(ctx context.Context, q string) ([][]any, error) {
	if strings.Contains(q, "(1, '") {
		return nil, fmt.Errorf("no batches here")
	}
	return n.Execer.Query(ctx, q)
}

// ParseAll refuses a reply that does not give each statement one tree.
func TestParseAllChecksTheReply(t *testing.T) {
	ctx := context.Background()
	for name, rows := range map[string][][]any{
		"a missing row":       {{int32(0), "{}"}},
		"an index outside":    {{int32(0), "{}"}, {int32(2), "{}"}},
		"an index of no type": {{"0", "{}"}, {int32(1), "{}"}},
		"a short row":         {{int32(0)}, {int32(1), "{}"}},
	} {
		p := &SQLParser{q: cannedRows{rows}}
		if _, err := p.ParseAll(ctx, []string{"select 1", "select 2"}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	p := &SQLParser{q: cannedRows{[][]any{{int64(1), "b"}, {int32(0), "a"}}}}
	if trees, err := p.ParseAll(ctx, []string{"select 1", "select 2"}); err != nil || string(trees[0]) != "a" || string(trees[1]) != "b" {
		t.Errorf("rows out of order: %q, %v", trees, err)
	}
}

// cannedRows answers every query with rows.
type cannedRows struct{ rows [][]any }

func (c cannedRows) Exec(context.Context, string) (int64, error)     { return 0, nil }
func (c cannedRows) QueryInt(context.Context, string) (int64, error) { return 0, nil }
func (c cannedRows) Query(context.Context, string) ([][]any, error)  { return c.rows, nil }
