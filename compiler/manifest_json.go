package compiler

import (
	"encoding/json"
	"io"
	"runtime"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/kiln-build/kiln/compiler/dialect"
)

// WriteJSON writes the manifest to w as json.Marshal(m) would, byte for
// byte, without building it in memory first: through reflection the
// encoding took ~0.5 CPU-s at 10,000 models, and at 100,000 the 430 MB
// buffer and its copies pushed the heap against the CLI's soft memory
// limit. Values it has no case for (the incremental and snapshot plans,
// unusual config values) go through json.Marshal, so they cannot drift.
// The struct tags stay the specification; TestManifestWriteJSON holds the
// two encodings equal.
func (m *Manifest) WriteJSON(w io.Writer) error {
	e := &jsonWriter{w: w, buf: make([]byte, 0, jsonFlushSize+4096)}
	e.manifest(m)
	e.flush()
	return e.err
}

// jsonFlushSize is how much encoded JSON is held before it is written.
const jsonFlushSize = 64 << 10

type jsonWriter struct {
	w   io.Writer
	buf []byte
	err error
}

func (e *jsonWriter) flush() {
	if e.err == nil && len(e.buf) > 0 {
		_, e.err = e.w.Write(e.buf)
	}
	e.buf = e.buf[:0]
}

func (e *jsonWriter) maybeFlush() {
	// A chunk's writer (parallel) has no w: it holds its chunk whole.
	if e.w != nil && len(e.buf) >= jsonFlushSize {
		e.flush()
	}
}

func (e *jsonWriter) raw(s string) { e.buf = append(e.buf, s...) }

func (e *jsonWriter) str(s string) { e.buf = appendJSONString(e.buf, s) }

// key writes `,"name":` (without the comma for the first field).
func (e *jsonWriter) key(first *bool, name string) {
	if !*first {
		e.buf = append(e.buf, ',')
	}
	*first = false
	e.buf = append(e.buf, '"')
	e.buf = append(e.buf, name...)
	e.buf = append(e.buf, '"', ':')
}

// marshal is the fallback: the value as encoding/json writes it.
func (e *jsonWriter) marshal(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		if e.err == nil {
			e.err = err
		}
		return
	}
	e.buf = append(e.buf, b...)
}

func (e *jsonWriter) strings(list []string) { writeList(e, list, e.str) }

// writeList writes list as an array (nil as null), each item with write.
func writeList[V any](e *jsonWriter, list []V, write func(V)) {
	if list == nil {
		e.raw("null")
		return
	}
	e.buf = append(e.buf, '[')
	for i, v := range list {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		write(v)
	}
	e.buf = append(e.buf, ']')
}

func (e *jsonWriter) manifest(m *Manifest) {
	if m == nil {
		e.raw("null")
		return
	}
	// Map keys are written sorted, as encoding/json does. The family maps
	// have a key for every node: every map's keys are taken from their
	// sorted ids (sorting 40,000 ids is a tenth of the encoding). A
	// compiled manifest's graph holds them sorted already, and its family
	// maps are the graph's adjacency (Manifest.ParentMap).
	fromGraph := m.ParentMap == nil && m.ChildMap == nil && m.Graph != nil
	var ids []string
	if fromGraph {
		ids = m.Graph.IDs()
	} else {
		ids = sortedMapKeys(m.ParentMap)
	}
	e.raw(`{"metadata":`)
	e.metadata(&m.Metadata)
	e.raw(`,"nodes":`)
	e.nodes(m.Nodes, ids)
	e.raw(`,"sources":`)
	e.nodes(m.Sources, ids)
	e.raw(`,"exposures":`)
	e.nodes(m.Exposures, ids)
	if fromGraph {
		// What json.Marshal writes for maps with a sorted list per node.
		e.raw(`,"parent_map":`)
		e.family(ids, m.Graph.ParentIndexes)
		e.raw(`,"child_map":`)
		e.family(ids, m.Graph.ChildIndexes)
	} else {
		e.raw(`,"parent_map":`)
		e.stringLists(m.ParentMap, ids)
		e.raw(`,"child_map":`)
		e.stringLists(m.ChildMap, ids)
	}
	if len(m.Macros) > 0 {
		e.raw(`,"macros":{`)
		for i, k := range sortedMapKeys(m.Macros) {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.str(k)
			e.buf = append(e.buf, ':')
			mi := m.Macros[k]
			e.raw(`{"name":`)
			e.str(mi.Name)
			e.raw(`,"original_file_path":`)
			e.str(mi.Path)
			if mi.Checksum != "" {
				e.raw(`,"checksum":`)
				e.str(mi.Checksum)
			}
			e.buf = append(e.buf, '}')
		}
		e.buf = append(e.buf, '}')
	}
	e.buf = append(e.buf, '}')
}

func (e *jsonWriter) metadata(md *Metadata) {
	e.raw(`{"dbt_schema_version":`)
	e.str(md.SchemaVersion)
	e.raw(`,"kiln_version":`)
	e.str(md.KilnVersion)
	e.raw(`,"generated_at":`)
	e.str(md.GeneratedAt)
	e.raw(`,"project_name":`)
	e.str(md.ProjectName)
	e.raw(`,"adapter_type":`)
	e.str(md.AdapterType)
	e.raw(`,"target_name":`)
	e.str(md.TargetName)
	if md.DuckDBPath != "" {
		e.raw(`,"duckdb_path":`)
		e.str(md.DuckDBPath)
	}
	e.buf = append(e.buf, '}')
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// keysFrom returns m's keys, sorted: those of sorted (a sorted list of
// ids) that m holds, if they are all of m's keys, else sortedMapKeys(m).
func keysFrom[V any](m map[string]V, sorted []string) []string {
	if len(m) == 0 || len(m) > len(sorted) {
		return sortedMapKeys(m)
	}
	keys := make([]string, 0, len(m))
	for _, k := range sorted {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	if len(keys) != len(m) {
		return sortedMapKeys(m)
	}
	return keys
}

func (e *jsonWriter) nodes(m map[string]*Node, ids []string) {
	writeMap(e, m, ids, (*jsonWriter).node)
}

func (e *jsonWriter) stringLists(m map[string][]string, ids []string) {
	writeMap(e, m, ids, (*jsonWriter).strings)
}

// writeMap writes m as an object, its keys in the order keysFrom gives,
// each value with write.
func writeMap[V any](e *jsonWriter, m map[string]V, ids []string, write func(*jsonWriter, V)) {
	if m == nil {
		e.raw("null")
		return
	}
	keys := keysFrom(m, ids)
	writeObject(e, keys, func(c *jsonWriter, i int) { write(c, m[keys[i]]) })
}

// family writes a graph's adjacency as an object: for each node, in id
// order, the ids adj gives (sorted; [] when none).
func (e *jsonWriter) family(ids []string, adj func(int) []int32) {
	writeObject(e, ids, func(c *jsonWriter, i int) {
		c.buf = append(c.buf, '[')
		for k, j := range adj(i) {
			if k > 0 {
				c.buf = append(c.buf, ',')
			}
			c.str(ids[j])
		}
		c.buf = append(c.buf, ']')
	})
}

// writeObject writes an object of keys, the value of keys[i] with value.
// Large objects are encoded in chunks on every core and written in order
// (parallel).
func writeObject(e *jsonWriter, keys []string, value func(c *jsonWriter, i int)) {
	e.buf = append(e.buf, '{')
	encode := func(c *jsonWriter, lo, hi int) {
		for i := lo; i < hi; i++ {
			if i > 0 {
				c.buf = append(c.buf, ',')
			}
			c.str(keys[i])
			c.buf = append(c.buf, ':')
			value(c, i)
			c.maybeFlush()
		}
	}
	if workers := runtime.GOMAXPROCS(0); workers < 2 || len(keys) < 2*mapChunk {
		encode(e, 0, len(keys))
	} else {
		e.parallel(len(keys), workers, encode)
	}
	e.buf = append(e.buf, '}')
}

// mapChunk is how many entries of a large map one goroutine encodes at a
// time: about 256 KB of JSON for nodes.
const mapChunk = 256

// parallel encodes items [0, n) in chunks of mapChunk, up to workers at a
// time, each into its own buffer, and writes the buffers to e in order.
// At most 2*workers chunks are held at once.
func (e *jsonWriter) parallel(n, workers int, encode func(c *jsonWriter, lo, hi int)) {
	e.flush()
	nchunks := (n + mapChunk - 1) / mapChunk
	done := make([]chan *jsonWriter, nchunks)
	for i := range done {
		done[i] = make(chan *jsonWriter, 1)
	}
	slots := make(chan struct{}, 2*workers) // chunks encoded or being encoded, not yet written
	free := make(chan *jsonWriter, 2*workers)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for i := range nchunks {
			select {
			case slots <- struct{}{}:
			case <-stop:
				return
			}
			go func() {
				var c *jsonWriter
				select {
				case c = <-free:
					c.buf, c.err = c.buf[:0], nil
				default:
					c = &jsonWriter{buf: make([]byte, 0, 2*jsonFlushSize)}
				}
				encode(c, i*mapChunk, min((i+1)*mapChunk, n))
				done[i] <- c
			}()
		}
	}()
	for i := range nchunks {
		c := <-done[i]
		if e.err == nil {
			e.err = c.err
		}
		if e.err == nil {
			_, e.err = e.w.Write(c.buf)
		}
		free <- c
		<-slots
	}
}

// node follows Node's struct tags, field by field.
func (e *jsonWriter) node(n *Node) {
	if n == nil {
		e.raw("null")
		return
	}
	e.buf = append(e.buf, '{')
	first := true
	k := func(name string) { e.key(&first, name) }
	// str and strs write a field that is omitted when empty (omitempty).
	str := func(name, v string) {
		if v != "" {
			k(name)
			e.str(v)
		}
	}
	strs := func(name string, v []string) {
		if len(v) > 0 {
			k(name)
			e.strings(v)
		}
	}
	k("unique_id")
	e.str(n.UniqueID)
	k("resource_type")
	e.str(n.ResourceType)
	k("name")
	e.str(n.Name)
	k("package_name")
	e.str(n.PackageName)
	k("original_file_path")
	e.str(n.Path)
	k("fqn")
	e.strings(n.FQN)
	str("description", n.Description)
	if len(n.Columns) > 0 {
		k("columns")
		writeList(e, n.Columns, func(c Column) { e.column(&c) })
	}
	k("tags")
	e.strings(n.Tags)
	if len(n.Meta) > 0 {
		k("meta")
		e.object(n.Meta)
	}
	k("config")
	e.object(n.Config)
	k("depends_on")
	e.strings(n.DependsOn)
	strs("refs", n.Refs)
	if len(n.SourceRefs) > 0 {
		k("sources")
		writeList(e, n.SourceRefs, func(s [2]string) { e.strings(s[:]) })
	}
	str("checksum", n.Checksum)
	str("body_checksum", n.BodyChecksum)
	strs("depends_on_macros", n.MacroDeps)
	if n.Relation != nil {
		k("relation")
		e.relation(n.Relation)
	}
	str("relation_name", n.RelationName)
	strs("pre_hooks", n.PreHooks)
	strs("post_hooks", n.PostHooks)
	str("raw_code", n.RawSQL)
	str("compiled_code", n.CompiledSQL)
	if n.Incremental != nil {
		k("incremental")
		e.marshal(n.Incremental)
	}
	if n.Snapshot != nil {
		k("snapshot")
		e.marshal(n.Snapshot)
	}
	if n.TestMetadata != nil {
		k("test_metadata")
		e.raw(`{"name":`)
		e.str(n.TestMetadata.Name)
		e.raw(`,"kwargs":`)
		e.object(n.TestMetadata.Kwargs)
		e.buf = append(e.buf, '}')
	}
	str("column_name", n.ColumnName)
	str("attached_node", n.AttachedNode)
	str("source_name", n.SourceName)
	str("loaded_at_field", n.LoadedAtField)
	if n.Freshness != nil {
		k("freshness")
		e.freshness(n.Freshness)
	}
	str("type", n.ExposureType)
	if n.Owner != nil {
		k("owner")
		f := true
		e.buf = append(e.buf, '{')
		if n.Owner.Name != "" {
			e.key(&f, "name")
			e.str(n.Owner.Name)
		}
		if n.Owner.Email != "" {
			e.key(&f, "email")
			e.str(n.Owner.Email)
		}
		e.buf = append(e.buf, '}')
	}
	str("url", n.URL)
	str("maturity", n.Maturity)
	e.buf = append(e.buf, '}')
}

func (e *jsonWriter) column(c *Column) {
	e.raw(`{"name":`)
	e.str(c.Name)
	if c.Description != "" {
		e.raw(`,"description":`)
		e.str(c.Description)
	}
	if c.DataType != "" {
		e.raw(`,"data_type":`)
		e.str(c.DataType)
	}
	if len(c.Meta) > 0 {
		e.raw(`,"meta":`)
		e.object(c.Meta)
	}
	if len(c.Tags) > 0 {
		e.raw(`,"tags":`)
		e.strings(c.Tags)
	}
	e.buf = append(e.buf, '}')
}

func (e *jsonWriter) relation(r *dialect.Relation) {
	e.buf = append(e.buf, '{')
	if r.Database != "" {
		e.raw(`"database":`)
		e.str(r.Database)
		e.buf = append(e.buf, ',')
	}
	e.raw(`"schema":`)
	e.str(r.Schema)
	e.raw(`,"identifier":`)
	e.str(r.Identifier)
	e.buf = append(e.buf, '}')
}

func (e *jsonWriter) freshness(f *Freshness) {
	first := true
	e.buf = append(e.buf, '{')
	for _, p := range []struct {
		name string
		p    *Period
	}{{"warn_after", f.WarnAfter}, {"error_after", f.ErrorAfter}} {
		if p.p == nil {
			continue
		}
		e.key(&first, p.name)
		e.raw(`{"count":`)
		e.buf = strconv.AppendInt(e.buf, int64(p.p.Count), 10)
		e.raw(`,"period":`)
		e.str(p.p.Period)
		e.buf = append(e.buf, '}')
	}
	if f.Filter != "" {
		e.key(&first, "filter")
		e.str(f.Filter)
	}
	e.buf = append(e.buf, '}')
}

func (e *jsonWriter) object(m map[string]any) {
	if m == nil {
		e.raw("null")
		return
	}
	e.buf = append(e.buf, '{')
	if len(m) == 1 {
		for k, v := range m {
			e.str(k)
			e.buf = append(e.buf, ':')
			e.value(v)
		}
	} else {
		// A config or a test's kwargs: a few keys, sorted on the stack
		// (every node has one or two such maps).
		var small [16]string
		keys := small[:0]
		if len(m) > len(small) {
			keys = make([]string, 0, len(m))
		}
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.str(k)
			e.buf = append(e.buf, ':')
			e.value(m[k])
		}
	}
	e.buf = append(e.buf, '}')
}

// value writes the values YAML and templates produce; any other goes
// through json.Marshal.
func (e *jsonWriter) value(v any) {
	switch v := v.(type) {
	case nil:
		e.raw("null")
	case string:
		e.str(v)
	case bool:
		e.buf = strconv.AppendBool(e.buf, v)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(v), 10)
	case int64:
		e.buf = strconv.AppendInt(e.buf, v, 10)
	case []string:
		e.strings(v)
	case []any:
		writeList(e, v, e.value)
	case map[string]any:
		e.object(v)
	default:
		e.marshal(v)
	}
}

// appendJSONString is encoding/json's string encoding with HTML escaping
// (its default): <, > and & become \u003c, \u003e and \u0026, invalid
// UTF-8 becomes \ufffd, U+2028 and U+2029 are escaped.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while none needs a look (most SQL).
		for i+8 <= len(s) {
			w := s[i : i+8]
			if jsonSpecial8(uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
				uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56) {
				break
			}
			i += 8
		}
		if i == len(s) {
			break
		}
		if b := s[i]; b < utf8.RuneSelf {
			if jsonSafe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// jsonSpecial8 reports whether any of the eight bytes of w is not
// jsonSafe: a control character, non-ASCII, or one of " \\ < > &. It
// may report a byte that is safe, never miss one that is not.
func jsonSpecial8(w uint64) bool {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	// (x-ones) &^ x has a byte's high bit set if a byte of x is zero (and
	// only then); (x-ones*n) &^ x likewise if one is below n.
	q, bs, lt, gt, amp := w^(ones*'"'), w^(ones*'\\'), w^(ones*'<'), w^(ones*'>'), w^(ones*'&')
	return ((w-ones*0x20)&^w|w|
		(q-ones)&^q|(bs-ones)&^bs|(lt-ones)&^lt|(gt-ones)&^gt|(amp-ones)&^amp)&high != 0
}

// jsonSafe is the ASCII that encoding/json writes unescaped when it
// escapes HTML: printable, not `"`, `\`, `<`, `>` or `&`.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return t
}()
