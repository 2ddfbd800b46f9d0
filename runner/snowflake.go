package runner

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/snowflakedb/gosnowflake"

	"github.com/kiln-build/kiln/compiler/dialect"
)

// SnowflakeConfig is a Snowflake target, as profiles.yml describes it.
type SnowflakeConfig struct {
	Account  string
	User     string
	Password string
	// Authenticator: "" or "snowflake" (password), "snowflake_jwt" (key
	// pair), "oauth" (Token), "externalbrowser", "username_password_mfa",
	// or an https://<okta>.okta.com URL.
	Authenticator        string
	PrivateKeyPath       string // PEM file (PKCS#8 or PKCS#1, encrypted or not)
	PrivateKey           string // PEM text, or base64 DER as dbt-snowflake accepts
	PrivateKeyPassphrase string
	Token                string // oauth access token
	OAuthClientID        string
	OAuthClientSecret    string

	Role, Warehouse, Database, Schema string
	QueryTag                          string
	Threads                           int // Kiln's --threads: size of the connection pool

	LoginTimeout time.Duration
	QueryTimeout time.Duration // per statement (STATEMENT_TIMEOUT_IN_SECONDS)
	Retries      int           // HTTP retries of a request
	KeepAlive    bool          // client_session_keep_alive

	// Where the account lives; empty means <account>.snowflakecomputing.com
	// over https. Tests point these at a loopback stand-in.
	Host         string
	Port         int
	Protocol     string
	InsecureMode bool // skip certificate revocation checks

	// Quoting is the project's quoting config, for names in catalog queries.
	Quoting dialect.Quoting
}

// Snowflake is a Snowflake account reached through gosnowflake.
//
// Transactions: Snowflake commits implicitly before and after every DDL
// statement, so InTx cannot make a sequence of DDL atomic. Kiln does not
// need it to: the Snowflake dialect builds tables and views with single
// `create or replace` statements, which are atomic by themselves, and InTx
// wraps consecutive DML statements (merge, delete+insert, seed inserts) in
// BEGIN/COMMIT on one dedicated session. The guarantee is statement-level:
// a failing node leaves the previous version of its relation in place.
type Snowflake struct {
	db      *sql.DB
	dialect dialect.Snowflake
	secrets []string
	// warehouse and queryTag are the target's, restored after a node
	// that sets its own (see snowflake_session.go).
	warehouse, queryTag string
	// sess, when set, is the one session this view of the warehouse runs
	// everything on (a node's session); nil means the pool.
	sess *sql.Conn
}

var _ Warehouse = (*Snowflake)(nil)

var quietDriverLog sync.Once

// OpenSnowflake logs in (so bad credentials fail here, not in the first
// node) and returns a pool of threads+1 sessions.
func OpenSnowflake(ctx context.Context, cfg SnowflakeConfig) (*Snowflake, error) {
	secrets := []string{cfg.Password, cfg.PrivateKey, cfg.PrivateKeyPassphrase, cfg.Token, cfg.OAuthClientSecret}
	scfg, err := snowflakeDriverConfig(cfg)
	if err != nil {
		return nil, scrub(err, secrets)
	}
	// The driver logs failed queries (with their text) to stderr by
	// default; Kiln reports errors itself.
	quietDriverLog.Do(func() { _ = gosnowflake.GetLogger().SetLogLevel("OFF") })

	connector := gosnowflake.NewConnector(gosnowflake.SnowflakeDriver{}, *scfg)
	db := sql.OpenDB(connector)
	// One session per thread, plus one so metadata queries and InTx bodies
	// that call the warehouse never wait on a full pool.
	threads := max(cfg.Threads, 1)
	db.SetMaxOpenConns(threads + 1)
	db.SetMaxIdleConns(threads + 1)
	w := &Snowflake{db: db, dialect: dialect.Snowflake{Quoting: cfg.Quoting}, secrets: secrets,
		warehouse: cfg.Warehouse, queryTag: cfg.QueryTag}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, w.scrub(fmt.Errorf("connect to Snowflake account %s as %s: %w", cfg.Account, cfg.User, err))
	}
	return w, nil
}

// snowflakeDriverConfig maps the profile onto gosnowflake's Config.
func snowflakeDriverConfig(cfg SnowflakeConfig) (*gosnowflake.Config, error) {
	if cfg.Account == "" {
		return nil, errors.New("snowflake target: account is required")
	}
	c := &gosnowflake.Config{
		Account:     cfg.Account,
		User:        cfg.User,
		Password:    cfg.Password,
		Role:        cfg.Role,
		Warehouse:   cfg.Warehouse,
		Database:    cfg.Database,
		Schema:      cfg.Schema,
		Host:        cfg.Host,
		Port:        cfg.Port,
		Protocol:    cfg.Protocol,
		Application: "Kiln",
		Params:      map[string]*string{},

		OauthClientID:     cfg.OAuthClientID,
		OauthClientSecret: cfg.OAuthClientSecret,
		DisableOCSPChecks: cfg.InsecureMode,
		LoginTimeout:      cfg.LoginTimeout,
		MaxRetryCount:     cfg.Retries,
	}
	// Unquoted names fold to upper case in Snowflake; the driver validates
	// the defaults it sends at login, so send them as Snowflake stores them.
	c.ValidateDefaultParameters = gosnowflake.ConfigBoolFalse
	if cfg.QueryTag != "" {
		c.Params["query_tag"] = &cfg.QueryTag
	}
	if cfg.QueryTimeout > 0 {
		s := strconv.Itoa(int(math.Ceil(cfg.QueryTimeout.Seconds())))
		c.Params["statement_timeout_in_seconds"] = &s
	}
	if cfg.KeepAlive {
		t := "true"
		c.Params["client_session_keep_alive"] = &t
	}

	auth := strings.ToLower(strings.TrimSpace(cfg.Authenticator))
	hasKey := cfg.PrivateKey != "" || cfg.PrivateKeyPath != ""
	switch {
	case auth == "snowflake_jwt" || (auth == "" && hasKey):
		key, err := loadPrivateKey(cfg.PrivateKeyPath, cfg.PrivateKey, cfg.PrivateKeyPassphrase)
		if err != nil {
			return nil, err
		}
		c.Authenticator = gosnowflake.AuthTypeJwt
		c.PrivateKey = key
		c.Password = ""
	case auth == "" || auth == "snowflake":
		if cfg.Password == "" {
			return nil, errors.New("snowflake target: password (or private_key_path / private_key) is required")
		}
		c.Authenticator = gosnowflake.AuthTypeSnowflake
	case auth == "oauth":
		if cfg.Token == "" {
			return nil, errors.New("snowflake target: authenticator oauth needs token")
		}
		c.Authenticator = gosnowflake.AuthTypeOAuth
		c.Token = cfg.Token
	case auth == "externalbrowser":
		c.Authenticator = gosnowflake.AuthTypeExternalBrowser
	case auth == "username_password_mfa":
		c.Authenticator = gosnowflake.AuthTypeUsernamePasswordMFA
	case strings.HasPrefix(auth, "https://") && strings.Contains(auth, ".okta.com"):
		c.Authenticator = gosnowflake.AuthTypeOkta
		u, err := url.Parse(cfg.Authenticator)
		if err != nil {
			return nil, err
		}
		c.OktaURL = u
	default:
		return nil, fmt.Errorf("snowflake target: unknown authenticator %q (use snowflake, snowflake_jwt, oauth, externalbrowser, username_password_mfa or an Okta URL)", cfg.Authenticator)
	}
	return c, nil
}

func (w *Snowflake) Dialect() dialect.Dialect { return w.dialect }

// Close closes the pool; on a node's session it does nothing (the session
// goes back to the pool when the node is done).
func (w *Snowflake) Close() error {
	if w.sess != nil {
		return nil
	}
	return w.db.Close()
}

// conn is where a statement runs: the node's session, or the pool.
func (w *Snowflake) conn() conn {
	if w.sess != nil {
		return w.sess
	}
	return w.db
}

// scrub removes secrets from err's message; errors of the driver do not
// normally contain them, but a message must never leak one.
func (w *Snowflake) scrub(err error) error { return scrub(err, w.secrets) }

func scrub(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := msg
	for _, s := range secrets {
		if len(s) >= 4 {
			clean = strings.ReplaceAll(clean, s, "****")
		}
	}
	if clean == msg {
		return err
	}
	var qe *QueryError
	if errors.As(err, &qe) {
		return &QueryError{SQL: qe.SQL, Err: errors.New(clean)}
	}
	return errors.New(clean)
}

func (w *Snowflake) Exec(ctx context.Context, query string) (int64, error) {
	n, err := execSQL(ctx, w.conn(), query)
	return n, w.scrub(err)
}

func (w *Snowflake) QueryInt(ctx context.Context, query string) (int64, error) {
	n, err := sfQueryInt(ctx, w.conn(), query)
	return n, w.scrub(err)
}

func (w *Snowflake) Query(ctx context.Context, query string) ([][]any, error) {
	rows, err := sfQueryRows(ctx, w.conn(), query)
	return rows, w.scrub(err)
}

// sfQueryInt reads one integer; the driver returns NUMBER as a string.
func sfQueryInt(ctx context.Context, c conn, query string) (int64, error) {
	var v any
	if err := c.QueryRowContext(ctx, query).Scan(&v); err != nil {
		return 0, queryError(ctx.Err(), query, err)
	}
	switch n := v.(type) {
	case nil:
		return 0, nil
	case int64:
		return n, nil
	case string:
		if i, err := strconv.ParseInt(n, 10, 64); err == nil {
			return i, nil
		}
		if f, err := strconv.ParseFloat(n, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<62 {
			return int64(f), nil
		}
	}
	return 0, &QueryError{SQL: query, Err: fmt.Errorf("query returned %T %v, want an integer", v, v)}
}

// sfQueryRows is queryRows with NUMBER(p,0) as int64 and FLOAT as float64
// (the driver returns both as strings), so callers see what DuckDB gives.
func sfQueryRows(ctx context.Context, c conn, query string) ([][]any, error) {
	rs, err := c.QueryContext(ctx, query)
	if err != nil {
		return nil, queryError(ctx.Err(), query, err)
	}
	defer rs.Close()
	types, err := rs.ColumnTypes()
	if err != nil {
		return nil, queryError(ctx.Err(), query, err)
	}
	var out [][]any
	for rs.Next() {
		vals := make([]any, len(types))
		ptrs := make([]any, len(types))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, queryError(ctx.Err(), query, err)
		}
		for i, v := range vals {
			s, ok := v.(string)
			if !ok {
				continue
			}
			switch types[i].DatabaseTypeName() {
			case "FIXED":
				if _, scale, ok := types[i].DecimalSize(); ok && scale == 0 {
					if n, err := strconv.ParseInt(s, 10, 64); err == nil {
						vals[i] = n
					}
				}
			case "REAL":
				if f, err := strconv.ParseFloat(s, 64); err == nil {
					vals[i] = f
				}
			case "BOOLEAN":
				if b, err := strconv.ParseBool(s); err == nil {
					vals[i] = b
				}
			}
		}
		out = append(out, vals)
	}
	if err := rs.Err(); err != nil {
		return nil, queryError(ctx.Err(), query, err)
	}
	return out, nil
}

// sfTx is the Execer InTx passes to its function: one session, in
// autocommit mode except around runs of DML statements.
type sfTx struct {
	w    *Snowflake
	conn *sql.Conn
	open *bool // a BEGIN is outstanding
}

func (t sfTx) Exec(ctx context.Context, query string) (int64, error) {
	if err := t.prepare(ctx, query); err != nil {
		return 0, err
	}
	n, err := execSQL(ctx, t.conn, query)
	return n, t.w.scrub(err)
}

func (t sfTx) QueryInt(ctx context.Context, query string) (int64, error) {
	n, err := sfQueryInt(ctx, t.conn, query)
	return n, t.w.scrub(err)
}

func (t sfTx) Query(ctx context.Context, query string) ([][]any, error) {
	rows, err := sfQueryRows(ctx, t.conn, query)
	return rows, t.w.scrub(err)
}

// prepare opens a transaction before DML and commits it before anything
// else that writes: Snowflake would commit it implicitly before DDL, and
// the explicit COMMIT keeps that boundary visible (and its error
// reported).
func (t sfTx) prepare(ctx context.Context, query string) error {
	dml := isDML(query)
	switch {
	case dml && !*t.open:
		if _, err := execSQL(ctx, t.conn, "begin"); err != nil {
			return t.w.scrub(err)
		}
		*t.open = true
	case !dml && *t.open && !isQuery(query):
		*t.open = false
		if _, err := execSQL(ctx, t.conn, "commit"); err != nil {
			return t.w.scrub(err)
		}
	}
	return nil
}

// InTx runs fn on one dedicated session. See the Snowflake type for what
// is atomic: each statement, and each run of DML statements.
func (w *Snowflake) InTx(ctx context.Context, fn func(tx Execer) error) (err error) {
	c := w.sess
	if c == nil {
		c, err = w.db.Conn(ctx)
		if err != nil {
			return w.scrub(queryError(ctx.Err(), "connect", err))
		}
		defer c.Close()
	}
	open := false
	tx := sfTx{w: w, conn: c, open: &open}
	rollback := func() error {
		if !open {
			return nil
		}
		open = false
		// ctx may be cancelled already; the session must not go back to
		// the pool inside a transaction.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_, err := c.ExecContext(rctx, "rollback")
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		if rerr := rollback(); rerr != nil {
			return errors.Join(err, w.scrub(fmt.Errorf("rollback: %w", rerr)))
		}
		return err
	}
	if open {
		open = false
		if _, err := c.ExecContext(ctx, "commit"); err != nil {
			return w.scrub(queryError(ctx.Err(), "commit", err))
		}
	}
	return nil
}

// isDML reports whether a statement changes rows (and so belongs in a
// transaction); isQuery whether it only reads.
func isDML(query string) bool {
	switch firstWord(query) {
	case "insert", "update", "delete", "merge":
		return true
	}
	return false
}

func isQuery(query string) bool {
	switch firstWord(query) {
	case "select", "with", "describe", "desc", "show":
		return true
	}
	return false
}

// firstWord is the statement's leading keyword, lower case, past
// whitespace, comments and opening parentheses.
func firstWord(query string) string {
	s := query
	for {
		s = strings.TrimLeft(s, " \t\r\n(")
		switch {
		case strings.HasPrefix(s, "--"):
			if i := strings.IndexByte(s, '\n'); i >= 0 {
				s = s[i+1:]
				continue
			}
			return ""
		case strings.HasPrefix(s, "/*"):
			if i := strings.Index(s, "*/"); i >= 0 {
				s = s[i+2:]
				continue
			}
			return ""
		}
		break
	}
	end := strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_')
	})
	if end < 0 {
		end = len(s)
	}
	return strings.ToLower(s[:end])
}

// catalogName is how Snowflake stores a name part: unquoted names fold to
// upper case, quoted ones keep their case.
func (w *Snowflake) catalogName(part string, always bool) string {
	if always {
		return part
	}
	if q := w.dialect.Quote(part); q != part {
		return strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(q, `"`), `"`), `""`, `"`)
	}
	return strings.ToUpper(part)
}

// catalogFilter matches rel in <database>.information_schema.
func (w *Snowflake) catalogFilter(rel dialect.Relation, view string) (string, []any) {
	from := "information_schema." + view
	if rel.Database != "" {
		from = w.dialect.Render(dialect.Relation{Schema: rel.Database, Identifier: "information_schema"}) + "." + view
	}
	q := w.dialect.Quoting
	where := "table_name = ?"
	args := []any{w.catalogName(rel.Identifier, q.Identifier)}
	if rel.Schema != "" {
		where = "table_schema = ? and " + where
		args = append([]any{w.catalogName(rel.Schema, q.Schema)}, args...)
	} else {
		where = "table_schema = current_schema() and " + where
	}
	return "from " + from + " where " + where, args
}

func (w *Snowflake) RelationKind(ctx context.Context, rel dialect.Relation) (dialect.Kind, error) {
	from, args := w.catalogFilter(rel, "tables")
	q := "select table_type " + from
	var typ string
	err := w.conn().QueryRowContext(ctx, q, args...).Scan(&typ)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return dialect.KindNone, nil
	case err != nil:
		return dialect.KindNone, w.scrub(queryError(ctx.Err(), q, err))
	case strings.Contains(strings.ToUpper(typ), "VIEW"):
		return dialect.KindView, nil
	default: // BASE TABLE, TEMPORARY TABLE, EXTERNAL TABLE
		return dialect.KindTable, nil
	}
}

// Columns spells types as Snowflake's DDL accepts them: NUMBER(38,0),
// VARCHAR(16777216), TIMESTAMP_NTZ(9).
func (w *Snowflake) Columns(ctx context.Context, rel dialect.Relation) ([]dialect.Column, error) {
	from, args := w.catalogFilter(rel, "columns")
	q := "select column_name, data_type, numeric_precision, numeric_scale, character_maximum_length, datetime_precision " + from + " order by ordinal_position"
	rows, err := w.conn().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, w.scrub(queryError(ctx.Err(), q, err))
	}
	defer rows.Close()
	var cols []dialect.Column
	for rows.Next() {
		var name, typ string
		var prec, scale, length, dtprec sql.NullString
		if err := rows.Scan(&name, &typ, &prec, &scale, &length, &dtprec); err != nil {
			return nil, w.scrub(queryError(ctx.Err(), q, err))
		}
		cols = append(cols, dialect.Column{Name: name, Type: snowflakeColumnType(typ, prec, scale, length, dtprec)})
	}
	if err := rows.Err(); err != nil {
		return nil, w.scrub(queryError(ctx.Err(), q, err))
	}
	return cols, nil
}

func snowflakeColumnType(typ string, prec, scale, length, dtprec sql.NullString) string {
	switch t := strings.ToUpper(typ); t {
	case "NUMBER":
		if prec.Valid && scale.Valid {
			return "NUMBER(" + prec.String + "," + scale.String + ")"
		}
		return t
	case "TEXT":
		if length.Valid {
			return "VARCHAR(" + length.String + ")"
		}
		return "VARCHAR"
	case "TIMESTAMP_NTZ", "TIMESTAMP_LTZ", "TIMESTAMP_TZ", "TIME":
		if dtprec.Valid {
			return t + "(" + dtprec.String + ")"
		}
		return t
	default:
		return t
	}
}

// LoadRows inserts rows with multi-row INSERT statements of bind
// parameters. Times and floats are bound as text and cast by Snowflake
// (the driver binds a float64 with float32 precision), as are strings
// destined for non-text columns (column_types overrides).
func (w *Snowflake) LoadRows(ctx context.Context, tx Execer, rel dialect.Relation, cols []dialect.Column, rows [][]any) (int64, error) {
	var c conn
	switch t := tx.(type) {
	case nil:
		c = w.conn()
	case *Snowflake:
		c = t.conn()
	case sfTx:
		c = t.conn
		if len(rows) > 0 {
			// The inserts are DML: run them in the session's transaction.
			if err := t.prepare(ctx, "insert"); err != nil {
				return 0, err
			}
		}
	}
	if len(rows) == 0 {
		return 0, nil
	}
	if len(cols) == 0 {
		return 0, fmt.Errorf("load %s: no columns", rel.Identifier)
	}
	for i, r := range rows {
		if len(r) != len(cols) {
			return 0, fmt.Errorf("load %s: row %d has %d values for %d columns", rel.Identifier, i+1, len(r), len(cols))
		}
	}

	d := w.dialect
	names := make([]string, len(cols))
	placeholders := make([]string, len(cols))
	for i, col := range cols {
		names[i] = d.Quote(col.Name)
		placeholders[i] = "?"
		if sfNeedsCast(col.Type, rows, i) {
			placeholders[i] = "cast(? as " + col.Type + ")"
		}
	}
	tuple := "(" + strings.Join(placeholders, ", ") + ")"
	insert := "insert into " + d.Render(rel) + " (" + strings.Join(names, ", ") + ") values "
	statement := func(n int) string {
		return insert + strings.Repeat(tuple+", ", n-1) + tuple
	}
	isDate := make([]bool, len(cols))
	for i, col := range cols {
		isDate[i] = strings.EqualFold(strings.TrimSpace(col.Type), "DATE")
	}
	batch := max(1, min(loadBatchRows, loadBatchParams/len(cols)))
	if c == nil {
		return loadLiterals(ctx, tx, insert, placeholders, rows, batch, func(i int, v any) string { return sfLiteral(d, v, isDate[i]) })
	}
	args := make([]any, 0, batch*len(cols))
	var loaded int64
	for start := 0; start < len(rows); start += batch {
		end := min(start+batch, len(rows))
		args = args[:0]
		for _, r := range rows[start:end] {
			for i, v := range r {
				args = append(args, sfBindValue(v, isDate[i]))
			}
		}
		if _, err := c.ExecContext(ctx, statement(end-start), args...); err != nil {
			return loaded, w.scrub(queryError(ctx.Err(), statement(end-start),
				fmt.Errorf("load %s rows %d-%d: %w", rel.Identifier, start+1, end, err)))
		}
		loaded += int64(end - start)
	}
	return loaded, nil
}

// sfBindValue is v as the driver should bind it; a time for a DATE
// column is bound as the date alone.
func sfBindValue(v any, date bool) any {
	switch v := v.(type) {
	case nil, bool, int64, string:
		return v
	case int:
		return int64(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case time.Time:
		if date {
			return v.UTC().Format("2006-01-02")
		}
		return v.UTC().Format("2006-01-02 15:04:05.999999999")
	default:
		return fmt.Sprint(v)
	}
}

// sfNeedsCast reports whether column i's values are bound as text for a
// non-text column.
func sfNeedsCast(typ string, rows [][]any, i int) bool {
	t := strings.ToUpper(strings.TrimSpace(typ))
	if p := strings.IndexByte(t, '('); p >= 0 {
		t = t[:p]
	}
	switch t {
	case "VARCHAR", "TEXT", "STRING", "CHAR", "CHARACTER", "NCHAR", "NVARCHAR", "":
		return false
	}
	for _, r := range rows {
		switch r[i].(type) {
		case string, float64, time.Time:
			return true
		}
	}
	return false
}

// sfLiteral renders a value of a column (isDate: a DATE column) as a
// Snowflake literal, for an Execer that cannot bind parameters.
func sfLiteral(d dialect.Snowflake, v any, isDate bool) string {
	switch x := sfBindValue(v, isDate).(type) {
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case string:
		return d.Literal(x)
	}
	return "NULL"
}
