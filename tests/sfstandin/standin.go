// Package sfstandin is a loopback stand-in for Snowflake's HTTP API, for
// tests only: an httptest.Server that speaks the JSON protocol the
// gosnowflake driver uses (login, query-request with JSON result sets,
// abort-request, telemetry, session delete) and executes statements on an
// in-memory DuckDB through a small translation of the Snowflake SQL Kiln
// emits. It is not a Snowflake emulator: it covers what Kiln and its tests
// send, and answers anything else with a SQL error.
package sfstandin

import (
	"compress/gzip"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// Options configure the accounts the stand-in accepts.
type Options struct {
	Account  string // default "kiln_test"
	User     string // default "KILN"
	Password string // password authentication
	// PublicKey, when set, accepts key-pair (JWT) logins signed by its key.
	PublicKey *rsa.PublicKey
	// OAuthToken, when set, accepts authenticator oauth with this token.
	OAuthToken string
}

// Server is a running stand-in.
type Server struct {
	*httptest.Server
	Host string
	Port int

	opts Options
	db   *sql.DB

	mu        sync.Mutex
	sessions  map[string]*session
	running   map[string]context.CancelFunc // requestId -> cancel
	inflight  map[string]string             // requestId -> statement
	loggedOut int
	base      context.Context // cancelled when the stand-in stops
	log       []Event
	attached  map[string]bool
	gov       governance // grants and policies per relation (governance.go)
}

// Event is one thing the stand-in saw, for assertions.
type Event struct {
	Kind          string // login, query, abort, telemetry, logout
	SQL           string
	Authenticator string
	Params        map[string]any // session parameters sent at login
	OK            bool
	// For queries: the session, and its warehouse and query tag when the
	// statement ran.
	Session   int
	Warehouse string
	QueryTag  string
}

type session struct {
	mu   sync.Mutex // one statement at a time, as a Snowflake session
	conn *sql.Conn
	inTx bool
	db   string

	id                  int
	schema, role        string
	warehouse, queryTag string
}

// Start starts a stand-in; it stops when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Account == "" {
		opts.Account = "kiln_test"
	}
	if opts.User == "" {
		opts.User = "KILN"
	}
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{opts: opts, db: sql.OpenDB(connector), sessions: map[string]*session{},
		running: map[string]context.CancelFunc{}, attached: map[string]bool{}, inflight: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/session/v1/login-request", s.login)
	mux.HandleFunc("/queries/v1/query-request", s.query)
	mux.HandleFunc("/queries/v1/abort-request", s.abort)
	mux.HandleFunc("/telemetry/send", s.telemetry)
	mux.HandleFunc("/session/heartbeat", s.ok)
	mux.HandleFunc("/session/token-request", s.ok)
	mux.HandleFunc("/session", s.logout)
	s.Server = httptest.NewServer(mux)
	host, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	s.Host = host
	s.Port, _ = strconv.Atoi(port)
	var stop context.CancelFunc
	s.base, stop = context.WithCancel(context.Background())
	t.Cleanup(func() {
		stop()
		s.Server.Close()
		s.mu.Lock()
		for _, ss := range s.sessions {
			ss.conn.Close()
		}
		s.mu.Unlock()
		s.db.Close()
	})
	return s
}

// Events returns what the stand-in saw so far.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.log...)
}

func (s *Server) record(e Event) {
	s.mu.Lock()
	s.log = append(s.log, e)
	s.mu.Unlock()
}

func readJSON(r *http.Request, v any) error {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return err
		}
		defer zr.Close()
		body = zr
	}
	return json.NewDecoder(body).Decode(v)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// failure is Snowflake's error envelope. Errors are HTTP 200 with
// success false; any other status makes the driver retry.
func failure(w http.ResponseWriter, code, sqlState, msg string) {
	writeJSON(w, map[string]any{"success": false, "code": code, "message": msg,
		"data": map[string]any{"sqlState": sqlState, "queryId": newID()}})
}

func (s *Server) ok(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{"success": true, "data": map[string]any{}})
}

func (s *Server) telemetry(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	s.record(Event{Kind: "telemetry", OK: true})
	s.ok(w, r)
}

func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Data struct {
			AccountName       string         `json:"ACCOUNT_NAME"`
			LoginName         string         `json:"LOGIN_NAME"`
			Password          string         `json:"PASSWORD"`
			Authenticator     string         `json:"AUTHENTICATOR"`
			Token             string         `json:"TOKEN"`
			SessionParameters map[string]any `json:"SESSION_PARAMETERS"`
		} `json:"data"`
	}
	if err := readJSON(r, &req); err != nil {
		failure(w, "390100", "08001", "bad login request")
		return
	}
	d := req.Data
	ev := Event{Kind: "login", Authenticator: d.Authenticator, Params: d.SessionParameters}
	authOK := false
	switch strings.ToUpper(d.Authenticator) {
	case "", "SNOWFLAKE":
		authOK = s.opts.Password != "" && strings.EqualFold(d.LoginName, s.opts.User) && d.Password == s.opts.Password
	case "SNOWFLAKE_JWT":
		authOK = s.opts.PublicKey != nil && verifyJWT(d.Token, s.opts.PublicKey, s.opts.Account, s.opts.User)
	case "OAUTH":
		authOK = s.opts.OAuthToken != "" && d.Token == s.opts.OAuthToken
	}
	if !strings.EqualFold(d.AccountName, s.opts.Account) {
		authOK = false
	}
	s.record(Event{Kind: ev.Kind, Authenticator: ev.Authenticator, Params: ev.Params, OK: authOK})
	if !authOK {
		failure(w, "390100", "08004", "Incorrect username or password was specified.")
		return
	}
	dbName := strings.ToUpper(r.URL.Query().Get("databaseName"))
	schema := strings.ToUpper(r.URL.Query().Get("schemaName"))
	conn, err := s.db.Conn(r.Context())
	if err != nil {
		failure(w, "390100", "08001", err.Error())
		return
	}
	ss := &session{conn: conn, db: dbName, schema: schema,
		role: strings.ToUpper(r.URL.Query().Get("roleName")), warehouse: strings.ToUpper(r.URL.Query().Get("warehouse"))}
	for k, v := range d.SessionParameters {
		if strings.EqualFold(k, "query_tag") {
			ss.queryTag = fmt.Sprint(v)
		}
	}
	if err := s.setupSession(r.Context(), ss); err != nil {
		conn.Close()
		failure(w, "390201", "08004", err.Error())
		return
	}
	token := "tok-" + newID()
	s.mu.Lock()
	ss.id = len(s.sessions) + 1 + s.loggedOut
	s.sessions[token] = ss
	s.mu.Unlock()
	writeJSON(w, map[string]any{"success": true, "code": nil, "message": nil, "data": map[string]any{
		"token": token, "validityInSeconds": 3600, "masterToken": "master-" + token,
		"masterValidityInSeconds": 14400, "displayUserName": s.opts.User, "serverVersion": "9.0.0-standin",
		"firstLogin": false, "sessionId": time.Now().UnixNano(), "healthCheckInterval": 45,
		"parameters": []map[string]any{{"name": "TIMEZONE", "value": "UTC"}},
		"sessionInfo": map[string]any{"databaseName": dbName, "schemaName": schema,
			"warehouseName": strings.ToUpper(r.URL.Query().Get("warehouse")), "roleName": strings.ToUpper(r.URL.Query().Get("roleName"))},
	}})
}

// setupSession attaches the login's database (each named database is an
// in-memory DuckDB catalog) and makes it the session's default.
func (s *Server) setupSession(ctx context.Context, ss *session) error {
	for _, m := range macros {
		if _, err := ss.conn.ExecContext(ctx, m); err != nil {
			return err
		}
	}
	if ss.db == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.attached[ss.db] {
		if _, err := ss.conn.ExecContext(ctx, "attach ':memory:' as "+quoteIdent(ss.db)); err != nil {
			return err
		}
		s.attached[ss.db] = true
	}
	_, err := ss.conn.ExecContext(ctx, "use "+quoteIdent(ss.db))
	return err
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func (s *Server) session(r *http.Request) *session {
	auth := r.Header.Get("Authorization")
	const prefix = `Snowflake Token="`
	if !strings.HasPrefix(auth, prefix) {
		return nil
	}
	token := strings.TrimSuffix(strings.TrimPrefix(auth, prefix), `"`)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[token]
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("delete") != "true" {
		http.NotFound(w, r)
		return
	}
	auth := strings.TrimSuffix(strings.TrimPrefix(r.Header.Get("Authorization"), `Snowflake Token="`), `"`)
	s.mu.Lock()
	ss := s.sessions[auth]
	delete(s.sessions, auth)
	if ss != nil {
		s.loggedOut++
	}
	s.log = append(s.log, Event{Kind: "logout", OK: ss != nil})
	s.mu.Unlock()
	if ss != nil {
		ss.mu.Lock()
		ss.conn.Close()
		ss.mu.Unlock()
	}
	s.ok(w, r)
}

func (s *Server) abort(w http.ResponseWriter, r *http.Request) {
	var req map[string]string
	readJSON(r, &req)
	s.mu.Lock()
	cancel := s.running[req["requestId"]]
	s.log = append(s.log, Event{Kind: "abort", OK: cancel != nil})
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	s.ok(w, r)
}

type bindParam struct {
	Type  string `json:"type"`
	Value any    `json:"value"`
}

func (s *Server) query(w http.ResponseWriter, r *http.Request) {
	ss := s.session(r)
	if ss == nil {
		// 390104 would make the driver renew; an unknown token is a bug.
		failure(w, "390111", "08001", "Session no longer exists.  New login required to access the service.")
		return
	}
	var req struct {
		SQLText    string               `json:"sqlText"`
		Bindings   map[string]bindParam `json:"bindings"`
		Parameters map[string]any       `json:"parameters"`
	}
	if err := readJSON(r, &req); err != nil {
		failure(w, "000900", "42000", "bad query request: "+err.Error())
		return
	}
	if _, multi := req.Parameters["MULTI_STATEMENT_COUNT"]; multi {
		if n, _ := req.Parameters["MULTI_STATEMENT_COUNT"].(float64); n != 1 {
			failure(w, "000008", "0A000", "the stand-in does not support multi-statement requests")
			return
		}
	}
	args, err := bindArgs(req.Bindings)
	if err != nil {
		failure(w, "002049", "22000", err.Error())
		return
	}

	requestID := r.URL.Query().Get("requestId")
	// As on Snowflake, a statement runs until it ends or an abort-request
	// names it: a client hanging up does not stop it.
	ctx, cancel := context.WithCancel(s.base)
	defer cancel()
	s.mu.Lock()
	s.running[requestID] = cancel
	s.inflight[requestID] = req.SQLText
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.running, requestID)
		delete(s.inflight, requestID)
		s.mu.Unlock()
	}()

	ss.mu.Lock()
	ev := Event{Kind: "query", SQL: req.SQLText, Session: ss.id, Warehouse: ss.warehouse, QueryTag: ss.queryTag}
	res, err := s.execute(ctx, ss, req.SQLText, args)
	if err == nil {
		s.afterStatement(ss, req.SQLText)
	}
	ss.mu.Unlock()
	ev.OK = err == nil
	s.record(ev)
	if err != nil {
		var se *sqlError
		if errors.As(err, &se) {
			failure(w, se.code, se.state, se.msg)
			return
		}
		if ctx.Err() != nil {
			failure(w, "000604", "57014", "SQL execution canceled")
			return
		}
		failure(w, "001003", "42000", "SQL compilation error:\n"+cleanDuckError(err.Error()))
		return
	}
	data := map[string]any{
		"rowtype": res.rowType, "rowset": res.rows, "total": len(res.rows), "returned": len(res.rows),
		"queryId": newID(), "statementTypeId": res.statementType, "queryResultFormat": "json",
		"databaseProvider": nil, "finalDatabaseName": ss.db, "parameters": []any{}, "version": 1,
	}
	writeJSON(w, map[string]any{"success": true, "code": nil, "message": nil, "data": data})
}

type sqlError struct{ code, state, msg string }

func (e *sqlError) Error() string { return e.msg }

func cleanDuckError(msg string) string {
	return strings.TrimSpace(msg)
}

// bindArgs turns the driver's bindings ("1", "2", ...) into DuckDB args.
func bindArgs(b map[string]bindParam) ([]any, error) {
	args := make([]any, len(b))
	for k, p := range b {
		i, err := strconv.Atoi(k)
		if err != nil || i < 1 || i > len(b) {
			return nil, fmt.Errorf("the stand-in supports positional bindings only (got %q)", k)
		}
		if p.Value == nil {
			continue
		}
		v, ok := p.Value.(string)
		if !ok {
			return nil, fmt.Errorf("the stand-in does not support array bindings")
		}
		switch strings.ToUpper(p.Type) {
		case "FIXED":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				args[i-1] = n
			} else {
				args[i-1] = v
			}
		case "REAL":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, err
			}
			args[i-1] = f
		case "BOOLEAN":
			bv, err := strconv.ParseBool(v)
			if err != nil {
				return nil, err
			}
			args[i-1] = bv
		case "DATE": // milliseconds since the epoch
			ms, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, err
			}
			args[i-1] = time.UnixMilli(ms).UTC()
		case "TIMESTAMP_NTZ", "TIMESTAMP_LTZ", "TIMESTAMP_TZ": // nanoseconds
			ns, ok := new(big.Int).SetString(strings.Fields(v)[0], 10)
			if !ok {
				return nil, fmt.Errorf("bad timestamp binding %q", v)
			}
			args[i-1] = time.Unix(0, ns.Int64()).UTC()
		default: // TEXT, ANY
			args[i-1] = v
		}
	}
	return args, nil
}

// result is one statement's answer in Snowflake's JSON shape.
type result struct {
	rowType       []map[string]any
	rows          [][]*string
	statementType int64
}

// Snowflake statement type ids the driver looks at.
const (
	stmtSelect = 0x1000
	stmtInsert = 0x3100
	stmtUpdate = 0x3200
	stmtDelete = 0x3300
	stmtMerge  = 0x3400
	stmtDDL    = 0x6000
)

func strp(s string) *string { return &s }

func statusResult(msg string) *result {
	return &result{
		rowType:       []map[string]any{textColumn("status")},
		rows:          [][]*string{{strp(msg)}},
		statementType: stmtDDL,
	}
}

func textColumn(name string) map[string]any {
	return map[string]any{"name": name, "type": "text", "length": 16777216, "byteLength": 16777216, "nullable": true, "precision": 0, "scale": 0}
}

func (s *Server) execute(ctx context.Context, ss *session, sqlText string, args []any) (*result, error) {
	stmt := strings.TrimSpace(trailingSemicolon(sqlText))
	word := firstWords(stmt, 3)
	if res, handled, err := s.sessionAndGovernance(ctx, ss, stmt); handled {
		return res, err
	}
	switch {
	case word[0] == "alter" && word[1] == "session":
		return statusResult("Statement executed successfully."), nil
	case word[0] == "use" && (word[1] == "warehouse" || word[1] == "role" || word[1] == "secondary"):
		return statusResult("Statement executed successfully."), nil
	case word[0] == "begin" || (word[0] == "start" && word[1] == "transaction"):
		if !ss.inTx {
			if _, err := ss.conn.ExecContext(ctx, "begin transaction"); err != nil {
				return nil, err
			}
			ss.inTx = true
		}
		return statusResult("Statement executed successfully."), nil
	case word[0] == "commit" || word[0] == "rollback":
		if ss.inTx {
			ss.inTx = false
			if _, err := ss.conn.ExecContext(ctx, word[0]); err != nil {
				return nil, err
			}
		}
		return statusResult("Statement executed successfully."), nil
	case (word[0] == "describe" || word[0] == "desc") && word[1] == "table":
		return s.describe(ctx, ss, stmt)
	}

	translated := translate(stmt)
	if isDDL(word[0]) && ss.inTx {
		// Snowflake commits an open transaction before DDL.
		ss.inTx = false
		if _, err := ss.conn.ExecContext(ctx, "commit"); err != nil {
			return nil, err
		}
	}
	if returnsRows(word[0]) {
		return query(ctx, ss.conn, translated, args)
	}
	res, err := ss.conn.ExecContext(ctx, translated, args...)
	if err != nil {
		return nil, err
	}
	n, _ := res.RowsAffected()
	count := strconv.FormatInt(n, 10)
	dml := func(id int64, col string) *result {
		return &result{
			rowType:       []map[string]any{{"name": col, "type": "fixed", "precision": 19, "scale": 0, "nullable": false}},
			rows:          [][]*string{{&count}},
			statementType: id,
		}
	}
	switch word[0] {
	case "insert":
		return dml(stmtInsert, "number of rows inserted"), nil
	case "update":
		return dml(stmtUpdate, "number of rows updated"), nil
	case "delete":
		return dml(stmtDelete, "number of rows deleted"), nil
	case "merge":
		return dml(stmtMerge, "number of rows merged"), nil
	}
	return statusResult("Statement executed successfully."), nil
}

func isDDL(w string) bool {
	switch w {
	case "create", "drop", "alter", "truncate", "comment", "grant", "revoke", "undrop":
		return true
	}
	return false
}

func returnsRows(w string) bool {
	switch w {
	case "select", "with", "values", "show", "from", "(":
		return true
	}
	return false
}

// describe answers `describe table x` in Snowflake's shape.
func (s *Server) describe(ctx context.Context, ss *session, stmt string) (*result, error) {
	f := strings.Fields(stmt)
	if len(f) < 3 {
		return nil, &sqlError{"001003", "42000", "SQL compilation error: describe what?"}
	}
	rel := strings.Join(f[2:], " ")
	rows, err := ss.conn.QueryContext(ctx, "select column_name, column_type, \"null\" from (describe "+translate(rel)+")")
	if err != nil {
		return nil, &sqlError{"002003", "42S02", "SQL compilation error:\nTable '" + strings.ToUpper(rel) + "' does not exist or not authorized."}
	}
	defer rows.Close()
	names := []string{"name", "type", "kind", "null?", "default", "primary key", "unique key", "check", "expression", "comment", "policy name", "privacy domain"}
	res := &result{statementType: stmtSelect}
	for _, n := range names {
		res.rowType = append(res.rowType, textColumn(n))
	}
	for rows.Next() {
		var name, typ, null string
		if err := rows.Scan(&name, &typ, &null); err != nil {
			return nil, err
		}
		nullable := "Y"
		if null == "NO" {
			nullable = "N"
		}
		row := []*string{strp(upperPlain(name)), strp(snowflakeType(typ)), strp("COLUMN"), strp(nullable), nil, strp("N"), strp("N"), nil, nil, nil, nil, nil}
		res.rows = append(res.rows, row)
	}
	return res, rows.Err()
}

// upperPlain folds a name as Snowflake stores an unquoted identifier.
func upperPlain(name string) string {
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '$') {
			return name
		}
	}
	return strings.ToUpper(name)
}

// snowflakeType spells a DuckDB column type as Snowflake's describe does.
func snowflakeType(duck string) string {
	t := strings.ToUpper(strings.TrimSpace(duck))
	switch {
	case t == "TINYINT" || t == "SMALLINT" || t == "INTEGER" || t == "BIGINT" || t == "HUGEINT" ||
		t == "UTINYINT" || t == "USMALLINT" || t == "UINTEGER" || t == "UBIGINT" || t == "UHUGEINT":
		return "NUMBER(38,0)"
	case strings.HasPrefix(t, "DECIMAL"):
		return "NUMBER" + strings.TrimPrefix(t, "DECIMAL")
	case t == "VARCHAR" || strings.HasPrefix(t, "VARCHAR("):
		return "VARCHAR(16777216)"
	case t == "DOUBLE" || t == "FLOAT" || t == "REAL":
		return "FLOAT"
	case t == "TIMESTAMP" || t == "TIMESTAMP_NS" || t == "TIMESTAMP_MS" || t == "TIMESTAMP_S":
		return "TIMESTAMP_NTZ(9)"
	case t == "TIMESTAMP WITH TIME ZONE":
		return "TIMESTAMP_TZ(9)"
	case t == "TIME":
		return "TIME(9)"
	case t == "BLOB":
		return "BINARY(8388608)"
	}
	return t
}

// query runs a SELECT and renders its rows as Snowflake's JSON rowset:
// every value a string, dates as days and timestamps as seconds since the
// epoch.
func query(ctx context.Context, c *sql.Conn, q string, args []any) (*result, error) {
	rows, err := c.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	res := &result{statementType: stmtSelect}
	for _, ct := range types {
		res.rowType = append(res.rowType, rowType(ct))
	}
	if len(res.rowType) == 0 {
		// The driver cannot read a result without columns.
		res.rowType = append(res.rowType, textColumn("status"))
	}
	for rows.Next() {
		vals := make([]any, len(types))
		ptrs := make([]any, len(types))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]*string, len(vals))
		for i, v := range vals {
			row[i] = render(v, res.rowType[i]["type"].(string))
		}
		res.rows = append(res.rows, row)
	}
	return res, rows.Err()
}

func rowType(ct *sql.ColumnType) map[string]any {
	name := upperPlain(ct.Name())
	t := strings.ToUpper(ct.DatabaseTypeName())
	col := map[string]any{"name": name, "nullable": true, "precision": 0, "scale": 0, "length": 0, "byteLength": 0}
	switch {
	case t == "BOOLEAN":
		col["type"] = "boolean"
	case t == "TINYINT" || t == "SMALLINT" || t == "INTEGER" || t == "BIGINT" || t == "HUGEINT" ||
		t == "UTINYINT" || t == "USMALLINT" || t == "UINTEGER" || t == "UBIGINT" || t == "UHUGEINT":
		col["type"], col["precision"] = "fixed", 38
	case strings.HasPrefix(t, "DECIMAL"):
		p, s, ok := ct.DecimalSize()
		if !ok {
			p, s = 38, 0
		}
		col["type"], col["precision"], col["scale"] = "fixed", p, s
	case t == "FLOAT" || t == "DOUBLE":
		col["type"] = "real"
	case t == "DATE":
		col["type"] = "date"
	case strings.HasPrefix(t, "TIMESTAMP") && strings.Contains(t, "TIME ZONE") || t == "TIMESTAMPTZ":
		col["type"], col["scale"] = "timestamp_ltz", 9
	case strings.HasPrefix(t, "TIMESTAMP"):
		col["type"], col["scale"] = "timestamp_ntz", 9
	case t == "TIME":
		col["type"], col["scale"] = "time", 9
	default:
		col["type"], col["length"], col["byteLength"] = "text", 16777216, 16777216
	}
	return col
}

func render(v any, typ string) *string {
	if v == nil {
		return nil
	}
	var s string
	switch x := v.(type) {
	case bool:
		s = "0"
		if x {
			s = "1"
		}
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		s = strconv.FormatFloat(float64(x), 'g', -1, 32)
	case duckdb.Decimal:
		s = decimalString(x)
	case *big.Int:
		s = x.String()
	case time.Time:
		x = x.UTC()
		switch typ {
		case "date":
			s = strconv.FormatInt(x.Unix()/86400, 10)
			if x.Unix() < 0 && x.Unix()%86400 != 0 {
				s = strconv.FormatInt(x.Unix()/86400-1, 10)
			}
		case "time":
			secs := x.Hour()*3600 + x.Minute()*60 + x.Second()
			s = fmt.Sprintf("%d.%09d", secs, x.Nanosecond())
		default:
			s = fmt.Sprintf("%d.%09d", x.Unix(), x.Nanosecond())
		}
	case []byte:
		s = hex.EncodeToString(x)
	default:
		s = fmt.Sprint(x)
	}
	return &s
}

// verifyJWT checks a key-pair login token: RS256 signed by key, issued for
// ACCOUNT.USER.
func verifyJWT(token string, key *rsa.PublicKey, account, user string) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig) != nil {
		return false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return false
	}
	return strings.EqualFold(claims.Sub, account+"."+user)
}

// decimalString renders a decimal with all its scale digits, as Snowflake
// sends NUMBER(p,s).
func decimalString(d duckdb.Decimal) string {
	digits := new(big.Int).Abs(d.Value).String()
	sign := ""
	if d.Value.Sign() < 0 {
		sign = "-"
	}
	scale := int(d.Scale)
	if scale == 0 {
		return sign + digits
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	return sign + digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
}
