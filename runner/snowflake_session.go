package runner

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"
)

// SessionSettings are what a node asks of the session it runs on. Only
// Snowflake has them: on DuckDB they are ignored.
type SessionSettings struct {
	// Warehouse is the node's snowflake_warehouse config ("" for the
	// target's).
	Warehouse string
	// QueryTag is the node's query_tag config; "" means the default,
	// <profile query_tag, else kiln>:<Project>:<Node>.
	QueryTag string
	Project  string
	Node     string
}

// sessionWarehouse is a warehouse that runs a node on one session set up
// with the node's settings.
type sessionWarehouse interface {
	withSession(ctx context.Context, s SessionSettings, fn func(Warehouse) error) error
}

var _ sessionWarehouse = (*Snowflake)(nil)

// queryTag is the tag a node's queries carry.
func (w *Snowflake) nodeQueryTag(s SessionSettings) string {
	if s.QueryTag != "" {
		return s.QueryTag
	}
	prefix := w.queryTag
	if prefix == "" {
		prefix = "kiln"
	}
	return prefix + ":" + s.Project + ":" + s.Node
}

// withSession takes one session from the pool, sets the node's query tag
// and warehouse on it, runs fn with a view of w bound to that session
// (InTx included), and restores the target's tag and warehouse before the
// session goes back to the pool. A session that cannot be restored is
// closed instead, so no later node inherits another node's settings.
func (w *Snowflake) withSession(ctx context.Context, s SessionSettings, fn func(Warehouse) error) error {
	if w.sess != nil {
		return fn(w)
	}
	c, err := w.db.Conn(ctx)
	if err != nil {
		return w.scrub(queryError(ctx.Err(), "connect", err))
	}
	d := w.dialect
	var restore []string
	discard := false
	defer func() {
		// The node's context may be cancelled; the restore must still run.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		for _, q := range restore {
			if _, err := execSQL(rctx, c, q); err != nil {
				discard = true
				break
			}
		}
		if discard {
			// database/sql closes a connection whose Raw call returns
			// ErrBadConn instead of pooling it.
			_ = c.Raw(func(any) error { return driver.ErrBadConn })
		}
		c.Close()
	}()
	setup := func(q string, undo string) error {
		if _, err := execSQL(ctx, c, q); err != nil {
			return w.scrub(fmt.Errorf("set up the node's session: %w", err))
		}
		restore = append([]string{undo}, restore...)
		return nil
	}
	if tag := w.nodeQueryTag(s); tag != w.queryTag {
		if err := setup(d.SetQueryTag(tag), d.SetQueryTag(w.queryTag)); err != nil {
			return err
		}
	}
	if s.Warehouse != "" && !strings.EqualFold(s.Warehouse, w.warehouse) {
		previous := w.warehouse
		if previous == "" {
			rows, err := sfQueryRows(ctx, c, d.CurrentWarehouse())
			if err != nil {
				return w.scrub(err)
			}
			if v := firstString(rows); v != "" {
				previous = v
			}
		}
		undo := ""
		if previous != "" {
			undo = d.UseWarehouse(previous)
		}
		if err := setup(d.UseWarehouse(s.Warehouse), undo); err != nil {
			return err
		}
		if undo == "" {
			// No warehouse to go back to: the session must not be reused.
			restore = restore[1:]
			discard = true
		}
	}
	bound := *w
	bound.sess = c
	return fn(&bound)
}
