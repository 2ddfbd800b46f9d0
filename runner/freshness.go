package runner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/dialect"
)

// Freshness statuses, spelled as in dbt's sources.json.
const (
	FreshPass         = "pass"
	FreshWarn         = "warn"
	FreshError        = "error"
	FreshRuntimeError = "runtime error"
)

// FreshnessResult is one source table's freshness check, in the shape of
// an entry of dbt's sources.json.
type FreshnessResult struct {
	UniqueID              string              `json:"unique_id"`
	MaxLoadedAt           string              `json:"max_loaded_at,omitempty"`
	SnapshottedAt         string              `json:"snapshotted_at"`
	MaxLoadedAtTimeAgoInS float64             `json:"max_loaded_at_time_ago_in_s"`
	Status                string              `json:"status"`
	Criteria              compiler.Freshness  `json:"criteria"`
	Error                 string              `json:"error,omitempty"`
	ExecutionTime         float64             `json:"execution_time"`
	ThreadID              string              `json:"thread_id"`
	AdapterResponse       map[string]any      `json:"adapter_response"`
	Timing                []map[string]string `json:"timing"`
	// Node is the source.
	Node *compiler.Node `json:"-"`
}

// PeriodDuration is a freshness threshold as a duration.
func PeriodDuration(p *compiler.Period) (time.Duration, error) {
	unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
	u, ok := unit[strings.TrimSuffix(strings.ToLower(p.Period), "s")]
	if !ok {
		return 0, fmt.Errorf("unknown freshness period %q (use minute, hour or day)", p.Period)
	}
	return time.Duration(p.Count) * u, nil
}

// CheckFreshness queries max(loaded_at_field) of the source src and
// compares its age at now with the source's warn_after and error_after.
// Timestamps without a time zone are taken as UTC.
func CheckFreshness(ctx context.Context, wh Warehouse, src *compiler.Node, now time.Time) *FreshnessResult {
	start := time.Now()
	r := &FreshnessResult{UniqueID: src.UniqueID, Node: src, SnapshottedAt: now.UTC().Format(time.RFC3339Nano), ThreadID: "Thread-1", AdapterResponse: map[string]any{}, Timing: []map[string]string{}}
	if src.Freshness != nil {
		r.Criteria = *src.Freshness
	}
	defer func() { r.ExecutionTime = time.Since(start).Seconds() }()
	fail := func(err error) *FreshnessResult {
		r.Status, r.Error = FreshRuntimeError, err.Error()
		return r
	}
	filter := ""
	if src.Freshness != nil {
		filter = src.Freshness.Filter
	}
	rows, err := wh.Query(ctx, dialect.MaxLoadedAt(src.RelationName, src.LoadedAtField, filter))
	if err != nil {
		return fail(err)
	}
	if len(rows) == 0 || len(rows[0]) == 0 || rows[0][0] == nil {
		return fail(fmt.Errorf("%s has no rows with a %s", src.RelationName, src.LoadedAtField))
	}
	var loaded time.Time
	switch v := rows[0][0].(type) {
	case time.Time:
		loaded = v
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", time.DateTime, time.DateOnly} {
			if loaded, err = time.Parse(layout, v); err == nil {
				break
			}
		}
		if err != nil {
			return fail(fmt.Errorf("max(%s) = %q is not a timestamp", src.LoadedAtField, v))
		}
	default:
		return fail(fmt.Errorf("max(%s) is a %T, not a timestamp", src.LoadedAtField, v))
	}
	age := now.Sub(loaded)
	r.MaxLoadedAt = loaded.UTC().Format(time.RFC3339Nano)
	r.MaxLoadedAtTimeAgoInS = age.Seconds()
	r.Status = FreshPass
	if f := src.Freshness; f != nil {
		for _, c := range []struct {
			p      *compiler.Period
			status string
		}{{f.ErrorAfter, FreshError}, {f.WarnAfter, FreshWarn}} {
			if c.p == nil || c.p.Count <= 0 {
				continue
			}
			d, err := PeriodDuration(c.p)
			if err != nil {
				return fail(err)
			}
			if age > d {
				r.Status = c.status
				break
			}
		}
	}
	return r
}
