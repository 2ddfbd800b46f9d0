// Package yamlspec decodes Kiln's YAML files (dbt_project.yml, profiles.yml
// and schema property files) strictly, through yaml.Node, so that every
// problem carries its file:line:col and all problems of a file are reported
// together.
package yamlspec

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
)

// NodeDecoder is implemented by types whose YAML shape a struct tag cannot
// say (a scalar or a list, a test in four forms, a config tree).
type NodeDecoder interface {
	DecodeNode(d *Decoder, n *yaml.Node)
}

// expecter lets a NodeDecoder name its shape in type-mismatch messages.
type expecter interface {
	Expected() string
}

// maxAliasNodes bounds the work done expanding aliases, so a "billion laughs"
// document fails with a diagnostic instead of exhausting memory.
const maxAliasNodes = 1_000_000

// Decoder holds the state of one strict decode: the file name for positions
// and the problems found so far. NodeDecoder implementations use its helpers.
type Decoder struct {
	File  string
	Diags diag.Diagnostics

	key        string // the mapping key whose value is being decoded, for messages
	inAlias    int
	aliasNodes int
	aliasErr   bool
	merging    map[*yaml.Node]bool // mappings being merged, against `&a {<<: *a}`
	seen       []string            // for each field of the structs being decoded, the key that set it (decodeStruct)
}

// NewDecoder returns a decoder reporting positions in file.
func NewDecoder(file string) *Decoder { return &Decoder{File: file} }

// Decode strictly decodes node into out (a non-nil pointer), following the
// `yaml:"name,opts"` tags of structs. Options: "required", "plus" (the key may
// also be written "+name"), "alias=other" (a second accepted name), "inline"
// (on a map[string]T field: collects keys the struct does not know instead of
// rejecting them). A field `Pos diag.Pos` tagged `yaml:"-"` receives the
// struct's position and `KeyPos map[string]diag.Pos` tagged `yaml:"-"` the
// position of each value by key. All problems are returned, none stops the
// decode.
func Decode(file string, node *yaml.Node, out any) diag.Diagnostics {
	d := NewDecoder(file)
	d.Decode(node, out)
	return d.Diags
}

// Decode decodes n into out, a non-nil pointer, appending problems to d.Diags.
func (d *Decoder) Decode(n *yaml.Node, out any) {
	rv := reflect.ValueOf(out)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		panic(fmt.Sprintf("yamlspec: Decode needs a non-nil pointer, got %T", out))
	}
	n = documentRoot(n)
	if n == nil {
		return
	}
	d.decode(n, rv.Elem())
}

// DecodeKey decodes n into out as the value of mapping key key, so type
// errors name the key.
func (d *Decoder) DecodeKey(key string, n *yaml.Node, out any) {
	saved := d.key
	d.key = key
	d.Decode(n, out)
	d.key = saved
}

func documentRoot(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	if n != nil && n.Kind == 0 {
		return nil
	}
	return n
}

// Pos is the position of n in the decoder's file.
func (d *Decoder) Pos(n *yaml.Node) diag.Pos {
	return diag.Pos{File: d.File, Line: n.Line, Col: n.Column}
}

// Errorf reports an error at n.
func (d *Decoder) Errorf(n *yaml.Node, hint, format string, args ...any) {
	d.Diags.Errorf(d.Pos(n), hint, format, args...)
}

// TypeError reports that n does not have the expected shape, naming the key
// being decoded when there is one.
func (d *Decoder) TypeError(n *yaml.Node, expected string) {
	prefix := ""
	if d.key != "" {
		prefix = d.key + ": "
	}
	d.Errorf(n, "", "%sexpected %s, got %s", prefix, expected, Describe(n))
}

// Resolve follows an alias to its anchor, charging the expansion budget.
func (d *Decoder) Resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// enter charges one node of alias expansion; false means the budget is spent.
func (d *Decoder) enter(n *yaml.Node) bool {
	if d.inAlias == 0 {
		return true
	}
	d.aliasNodes++
	if d.aliasNodes <= maxAliasNodes {
		return true
	}
	if !d.aliasErr {
		d.aliasErr = true
		d.Errorf(n, "use fewer nested aliases", "document expands to more than %d nodes through aliases", maxAliasNodes)
	}
	return false
}

// IsNull reports whether n is a null scalar (`~`, `null` or nothing).
func IsNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// Describe names the shape of a node for messages: "a mapping", "a string".
func Describe(n *yaml.Node) string {
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		if n.Alias != nil {
			return Describe(n.Alias)
		}
		return "an alias"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!bool":
			return "a boolean"
		case "!!int":
			return "an integer"
		case "!!float":
			return "a number"
		case "!!timestamp":
			return "a timestamp"
		}
		return "a string"
	}
	return "nothing"
}

// isMergeKey reports whether k is the YAML merge key `<<`.
func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge"
}

// EachPair calls fn for each key/value of mapping n, expanding `<<` merge
// keys (explicit keys win over merged ones).
func (d *Decoder) EachPair(n *yaml.Node, fn func(k, v *yaml.Node)) {
	hasMerge := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		if isMergeKey(n.Content[i]) {
			hasMerge = true
			continue
		}
		fn(n.Content[i], n.Content[i+1])
	}
	if !hasMerge {
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !isMergeKey(n.Content[i]) {
			seen[n.Content[i].Value] = true
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !isMergeKey(n.Content[i]) {
			continue
		}
		src := n.Content[i+1]
		var sources []*yaml.Node
		if r := d.Resolve(src); r.Kind == yaml.SequenceNode {
			sources = r.Content
		} else {
			sources = []*yaml.Node{src}
		}
		for _, s := range sources {
			if d.aliasErr {
				return
			}
			m := d.Resolve(s)
			if m.Kind != yaml.MappingNode {
				d.Errorf(s, "merge an anchored mapping: <<: *name", "merge key << needs a mapping or a list of mappings, got %s", Describe(s))
				continue
			}
			if d.merging[m] {
				d.Errorf(s, "", "merge key << includes the mapping it is in")
				continue
			}
			if d.merging == nil {
				d.merging = map[*yaml.Node]bool{}
			}
			d.merging[m] = true
			d.inAlias++
			d.EachPair(m, func(k, v *yaml.Node) {
				// Charged even when shadowed: nested merges can fan out.
				if !d.enter(k) || seen[k.Value] {
					return
				}
				seen[k.Value] = true
				fn(k, v)
			})
			d.inAlias--
			delete(d.merging, m)
		}
	}
}

var (
	nodeType        = reflect.TypeFor[yaml.Node]()
	nodePtrType     = reflect.TypeFor[*yaml.Node]()
	nodeDecoderType = reflect.TypeFor[NodeDecoder]()
	expecterType    = reflect.TypeFor[expecter]()
	posType         = reflect.TypeFor[diag.Pos]()
	keyPosType      = reflect.TypeFor[map[string]diag.Pos]()
)

func (d *Decoder) decode(n *yaml.Node, v reflect.Value) {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return
		}
		d.inAlias++
		defer func() { d.inAlias-- }()
		n = d.Resolve(n)
	}
	if !d.enter(n) {
		return
	}
	t := v.Type()
	switch t {
	case nodeType:
		v.Set(reflect.ValueOf(*n))
		return
	case nodePtrType:
		v.Set(reflect.ValueOf(n))
		return
	}
	self := selfDecodingOf(t)
	if self == addrDecodes {
		v.Addr().Interface().(NodeDecoder).DecodeNode(d, n)
		return
	}
	if self == ptrDecodes {
		// A pointer to a self-decoding type gets the node even when null,
		// so it can tell "null" (e.g. freshness: null disables) from absent.
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		v.Interface().(NodeDecoder).DecodeNode(d, n)
		return
	}
	if IsNull(n) {
		v.SetZero()
		return
	}
	switch t.Kind() {
	case reflect.Interface:
		if t.NumMethod() != 0 {
			d.TypeError(n, describeType(t))
			return
		}
		if p := d.Plain(n); p != nil {
			v.Set(reflect.ValueOf(p))
		}
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.decode(n, v.Elem())
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.TypeError(n, describeType(t))
			return
		}
		d.decodeStruct(n, v)
	case reflect.Map:
		if n.Kind != yaml.MappingNode || t.Key().Kind() != reflect.String {
			d.TypeError(n, describeType(t))
			return
		}
		if v.IsNil() {
			v.Set(reflect.MakeMapWithSize(t, len(n.Content)/2))
		}
		d.decodeMapInto(n, v, nil)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.TypeError(n, describeType(t))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i))
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.TypeError(n, describeType(t))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		b, ok := scalarBool(n)
		if !ok {
			d.TypeError(n, describeType(t))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := scalarInt(n)
		if !ok || v.OverflowInt(i) {
			d.numberError(n, t)
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i, ok := scalarInt(n)
		if !ok || i < 0 || v.OverflowUint(uint64(i)) {
			d.numberError(n, t)
			return
		}
		v.SetUint(uint64(i))
	case reflect.Float32, reflect.Float64:
		f, ok := scalarFloat(n)
		if !ok {
			d.numberError(n, t)
			return
		}
		v.SetFloat(f)
	default:
		panic("yamlspec: cannot decode into " + t.String())
	}
}

// numberError explains a non-number, hinting at the env_var filter when the
// text is a quoted number.
func (d *Decoder) numberError(n *yaml.Node, t reflect.Type) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		if _, err := strconv.ParseFloat(strings.TrimSpace(n.Value), 64); err == nil {
			prefix := ""
			if d.key != "" {
				prefix = d.key + ": "
			}
			d.Errorf(n, "remove the quotes, or add `| as_number` to an env_var() template", "%sexpected %s, got the string %q", prefix, describeType(t), n.Value)
			return
		}
	}
	if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
		prefix := ""
		if d.key != "" {
			prefix = d.key + ": "
		}
		d.Errorf(n, "", "%s%s is out of range for %s", prefix, n.Value, describeType(t))
		return
	}
	d.TypeError(n, describeType(t))
}

// decodeMapInto decodes each pair of mapping n into map v, skipping keys
// in skip (known struct fields when v is an inline catch-all).
func (d *Decoder) decodeMapInto(n *yaml.Node, v reflect.Value, keyPos map[string]diag.Pos) {
	et := v.Type().Elem()
	saved := d.key
	d.EachPair(n, func(k, val *yaml.Node) {
		k = d.Resolve(k)
		if k.Kind != yaml.ScalarNode {
			d.Errorf(k, "", "mapping keys must be strings, got %s", Describe(k))
			return
		}
		d.key = k.Value
		e := reflect.New(et).Elem()
		d.decode(val, e)
		v.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), e)
		if keyPos != nil {
			keyPos[k.Value] = d.Pos(val)
		}
	})
	d.key = saved
}

type fieldInfo struct {
	name     string
	index    int
	required bool
}

type structInfo struct {
	fields []fieldInfo
	byKey  map[string]int // accepted key -> index into fields
	names  []string       // canonical keys, for hints
	inline int            // struct field index of the catch-all map, or -1
	pos    int            // struct field index of Pos, or -1
	keyPos int            // struct field index of KeyPos, or -1
}

var structInfos sync.Map // reflect.Type -> *structInfo

// How a type decodes itself, if it does: its pointer implements
// NodeDecoder (addrDecodes), or it is a pointer that does (ptrDecodes).
const (
	notSelfDecoding = iota
	addrDecodes
	ptrDecodes
)

var selfDecoding sync.Map // reflect.Type -> int

// selfDecodingOf caches the method-set checks decode makes for every
// value (reflect.PointerTo and Implements are a map lookup and a method
// scan each time).
func selfDecodingOf(t reflect.Type) int {
	if k, ok := selfDecoding.Load(t); ok {
		return k.(int)
	}
	k := notSelfDecoding
	switch {
	case reflect.PointerTo(t).Implements(nodeDecoderType):
		k = addrDecodes
	case t.Kind() == reflect.Pointer && t.Implements(nodeDecoderType):
		k = ptrDecodes
	}
	selfDecoding.Store(t, k)
	return k
}

func getStructInfo(t reflect.Type) *structInfo {
	if si, ok := structInfos.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{byKey: map[string]int{}, inline: -1, pos: -1, keyPos: -1}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, hasTag := f.Tag.Lookup("yaml")
		if tag == "-" {
			switch {
			case f.Name == "Pos" && f.Type == posType:
				si.pos = i
			case f.Name == "KeyPos" && f.Type == keyPosType:
				si.keyPos = i
			}
			continue
		}
		parts := strings.Split(tag, ",")
		name := parts[0]
		if !hasTag || name == "" {
			name = strings.ToLower(f.Name)
		}
		fi := fieldInfo{name: name, index: i}
		var aliases []string
		for _, opt := range parts[1:] {
			switch {
			case opt == "inline":
				if f.Type.Kind() != reflect.Map || f.Type.Key().Kind() != reflect.String {
					panic("yamlspec: inline field " + t.String() + "." + f.Name + " must be a map with string keys")
				}
				si.inline = i
			case opt == "required":
				fi.required = true
			case opt == "plus":
				aliases = append(aliases, "+"+name)
			case strings.HasPrefix(opt, "alias="):
				aliases = append(aliases, strings.TrimPrefix(opt, "alias="))
			}
		}
		if si.inline == i {
			continue
		}
		idx := len(si.fields)
		si.fields = append(si.fields, fi)
		si.names = append(si.names, name)
		si.byKey[name] = idx
		for _, a := range aliases {
			si.byKey[a] = idx
		}
	}
	actual, _ := structInfos.LoadOrStore(t, si)
	return actual.(*structInfo)
}

func (d *Decoder) decodeStruct(n *yaml.Node, v reflect.Value) {
	si := getStructInfo(v.Type())
	if si.pos >= 0 {
		// Through a pointer: Set(reflect.ValueOf(pos)) boxes the position,
		// an allocation per struct. v is addressable, as Set needs it.
		*v.Field(si.pos).Addr().Interface().(*diag.Pos) = d.Pos(n)
	}
	var keyPos map[string]diag.Pos
	if si.keyPos >= 0 {
		keyPos = map[string]diag.Pos{}
		v.Field(si.keyPos).Set(reflect.ValueOf(keyPos))
	}
	s := structDecode{si: si, v: v, keyPos: keyPos, seen: len(d.seen), saved: d.key}
	d.seen = append(d.seen, make([]string, len(si.fields))...)
	if hasMergeKey(n) {
		// Only here a closure: it would put s (and, before, the keys
		// seen) on the heap for every struct of every property file.
		m := s
		d.EachPair(n, func(k, val *yaml.Node) { d.structPair(&m, k, val) })
	} else {
		for i := 0; i+1 < len(n.Content); i += 2 {
			d.structPair(&s, n.Content[i], n.Content[i+1])
		}
	}
	for idx, fi := range si.fields {
		if fi.required && d.seen[s.seen+idx] == "" {
			d.Errorf(n, "", "missing required key %q", fi.name)
		}
	}
	clear(d.seen[s.seen:])
	d.seen = d.seen[:s.seen]
}

// structDecode is a struct being decoded: its fields, and where in the
// decoder's seen stack the key that set each field is.
type structDecode struct {
	si     *structInfo
	v      reflect.Value
	keyPos map[string]diag.Pos
	seen   int
	saved  string // d.key to restore
}

// hasMergeKey reports whether mapping n has a << key (EachPair).
func hasMergeKey(n *yaml.Node) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if isMergeKey(n.Content[i]) {
			return true
		}
	}
	return false
}

// structPair decodes the value of key k into the field of s it names.
func (d *Decoder) structPair(s *structDecode, k, val *yaml.Node) {
	k = d.Resolve(k)
	if k.Kind != yaml.ScalarNode {
		d.Errorf(k, "", "mapping keys must be strings, got %s", Describe(k))
		return
	}
	si := s.si
	idx, ok := si.byKey[k.Value]
	if !ok {
		if si.inline >= 0 {
			m := s.v.Field(si.inline)
			if m.IsNil() {
				m.Set(reflect.MakeMap(m.Type()))
			}
			d.key = k.Value
			e := reflect.New(m.Type().Elem()).Elem()
			d.decode(val, e)
			m.SetMapIndex(reflect.ValueOf(k.Value).Convert(m.Type().Key()), e)
			if s.keyPos != nil {
				s.keyPos[k.Value] = d.Pos(val)
			}
			d.key = s.saved
			return
		}
		d.Errorf(k, keyHint(k.Value, si.names), "unknown key %q", k.Value)
		return
	}
	fi := si.fields[idx]
	if prev := d.seen[s.seen+idx]; prev != "" {
		d.Errorf(k, fmt.Sprintf("keep only %q", fi.name), "%q and %q name the same property", prev, k.Value)
		return
	}
	d.seen[s.seen+idx] = k.Value
	d.key = fi.name
	d.decode(val, s.v.Field(fi.index)) // may grow d.seen
	d.key = s.saved
	if s.keyPos != nil {
		s.keyPos[fi.name] = d.Pos(val)
	}
}

// keyHint suggests the closest known key, else lists them when few.
func keyHint(key string, names []string) string {
	if h := diag.DidYouMean(strings.TrimPrefix(key, "+"), names); h != "" {
		return h
	}
	if len(names) <= 12 {
		sorted := append([]string(nil), names...)
		sort.Strings(sorted)
		return "valid keys are: " + strings.Join(sorted, ", ")
	}
	return ""
}

// describeType names what a Go type accepts, for messages.
func describeType(t reflect.Type) string {
	if t.Implements(expecterType) {
		return reflect.Zero(t).Interface().(expecter).Expected()
	}
	if reflect.PointerTo(t).Implements(expecterType) {
		return reflect.New(t).Interface().(expecter).Expected()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list of " + pluralType(t.Elem())
	case reflect.Map:
		if t.Elem().Kind() == reflect.Interface {
			return "a mapping"
		}
		return "a mapping of " + pluralType(t.Elem())
	case reflect.Struct:
		return "a mapping"
	case reflect.Pointer:
		return describeType(t.Elem())
	case reflect.Interface:
		return "a value"
	}
	return t.String()
}

func pluralType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer && !t.Implements(expecterType) {
		t = t.Elem()
	}
	if t.Implements(expecterType) || reflect.PointerTo(t).Implements(expecterType) {
		return "items that are each " + describeType(t)
	}
	switch t.Kind() {
	case reflect.String:
		return "strings"
	case reflect.Bool:
		return "booleans"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integers"
	case reflect.Float32, reflect.Float64:
		return "numbers"
	case reflect.Slice:
		return "lists"
	case reflect.Map, reflect.Struct:
		return "mappings"
	}
	return "values"
}

// Plain decodes n into plain Go values: map[string]any, []any, string, bool,
// int, float64 or nil, typing scalars as YAML 1.2's core schema does
// (yes/no/on/off stay strings; timestamps stay strings).
func (d *Decoder) Plain(n *yaml.Node) any {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil
		}
		d.inAlias++
		defer func() { d.inAlias-- }()
		n = d.Resolve(n)
	}
	if !d.enter(n) {
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		d.EachPair(n, func(k, v *yaml.Node) {
			k = d.Resolve(k)
			if k.Kind != yaml.ScalarNode {
				d.Errorf(k, "", "mapping keys must be strings, got %s", Describe(k))
				return
			}
			m[k.Value] = d.Plain(v)
		})
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, item := range n.Content {
			s[i] = d.Plain(item)
		}
		return s
	case yaml.ScalarNode:
		return scalarValue(n)
	}
	return nil
}

func scalarValue(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		if b, ok := scalarBool(n); ok {
			return b
		}
	case "!!int":
		if i, ok := scalarInt(n); ok {
			if i == int64(int(i)) {
				return int(i)
			}
			return i
		}
		if f, ok := scalarFloat(n); ok {
			return f
		}
	case "!!float":
		if f, ok := scalarFloat(n); ok {
			return f
		}
	}
	return n.Value
}

func scalarBool(n *yaml.Node) (bool, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		return false, false
	}
	switch strings.ToLower(n.Value) {
	case "true", "yes", "on", "y":
		return true, true
	case "false", "no", "off", "n":
		return false, true
	}
	return false, false
}

func scalarInt(n *yaml.Node) (int64, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		return 0, false
	}
	s := strings.ReplaceAll(n.Value, "_", "")
	i, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		// YAML 1.2 octal "0o17" is handled by base 0; a plain "017" is
		// decimal in 1.2.
		if j, err2 := strconv.ParseInt(strings.TrimLeft(s, "0"), 10, 64); err2 == nil {
			return j, true
		}
		return 0, false
	}
	return i, true
}

func scalarFloat(n *yaml.Node) (float64, bool) {
	if n.Kind != yaml.ScalarNode {
		return 0, false
	}
	switch n.ShortTag() {
	case "!!int":
		if i, ok := scalarInt(n); ok {
			return float64(i), true
		}
	case "!!float":
	default:
		return 0, false
	}
	s := strings.ReplaceAll(n.Value, "_", "")
	switch strings.ToLower(s) {
	case ".inf", "+.inf":
		return math.Inf(1), true
	case "-.inf":
		return math.Inf(-1), true
	case ".nan":
		return math.NaN(), true
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// StringOrList is a YAML scalar or a list of scalars, as dbt accepts for
// tags, unique_key and hooks: `tags: nightly` or `tags: [nightly, pos]`.
type StringOrList []string

// Expected names the shape for messages.
func (StringOrList) Expected() string { return "a string or a list of strings" }

// DecodeNode implements NodeDecoder.
func (s *StringOrList) DecodeNode(d *Decoder, n *yaml.Node) {
	n = d.Resolve(n)
	switch {
	case IsNull(n):
		*s = nil
	case n.Kind == yaml.ScalarNode:
		*s = StringOrList{n.Value}
	case n.Kind == yaml.SequenceNode:
		out := make(StringOrList, 0, len(n.Content))
		for _, item := range n.Content {
			item = d.Resolve(item)
			if item.Kind != yaml.ScalarNode || IsNull(item) {
				d.TypeError(item, "a string")
				continue
			}
			out = append(out, item.Value)
		}
		*s = out
	default:
		d.TypeError(n, s.Expected())
	}
}

// reflectValue is the addressable value p points to.
func reflectValue(p any) reflect.Value { return reflect.ValueOf(p).Elem() }
