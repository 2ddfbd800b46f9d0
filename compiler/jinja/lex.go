package jinja

import (
	"fmt"
	"strings"
)

// tokKind is a template-level token: text or one of the three delimiters.
type tokKind int

const (
	tokText tokKind = iota
	tokVar
	tokBlock
	tokComment
	tokRaw // body of {% raw %}...{% endraw %}, emitted verbatim
)

// tmplTok is a template-level token. For tags, [inner, innerEnd) is the
// content between the delimiters (after a '-' marker); pos is the offset of
// the opening delimiter. For text, [inner, innerEnd) is the text, already
// trimmed by neighbouring whitespace control.
type tmplTok struct {
	kind               tokKind
	pos, end           int
	inner, innerEnd    int
	trimLeft, trimRght bool
}

// syntaxError is an error at a byte offset of the original source.
type syntaxError struct {
	pos  int
	msg  string
	hint string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("offset %d: %s", e.pos, e.msg) }

func errAt(pos int, format string, args ...any) *syntaxError {
	return &syntaxError{pos: pos, msg: fmt.Sprintf(format, args...)}
}

// lexTemplate splits src into text and tags in one linear pass and applies
// whitespace control ('-') to the neighbouring text. The tokens are
// appended to buf[:0], so a caller can reuse one buffer for many templates.
func lexTemplate(buf []tmplTok, src string) ([]tmplTok, error) {
	// Each '{' can open a tag, which with the text before it makes two tokens.
	toks := buf[:0]
	if n := 2*strings.Count(src, "{") + 1; cap(toks) < n {
		toks = make([]tmplTok, 0, n)
	}
	i := 0
	textStart := 0
	n := len(src)
	for i < n {
		j := strings.IndexByte(src[i:], '{')
		if j < 0 {
			break
		}
		i += j
		if i+1 >= n {
			break
		}
		c := src[i+1]
		if c != '{' && c != '%' && c != '#' {
			i++
			continue
		}
		if textStart < i {
			toks = append(toks, tmplTok{kind: tokText, pos: textStart, end: i, inner: textStart, innerEnd: i})
		}
		start := i
		t := tmplTok{pos: start, inner: start + 2}
		if start+2 < n && src[start+2] == '-' {
			t.trimLeft = true
			t.inner++
		} else if start+2 < n && src[start+2] == '+' && c != '#' {
			t.inner++
		}
		switch c {
		case '#':
			t.kind = tokComment
			k := strings.Index(src[t.inner:], "#}")
			if k < 0 {
				return nil, errAt(start, "unclosed comment: missing '#}'")
			}
			t.innerEnd = t.inner + k
			t.end = t.innerEnd + 2
			if t.innerEnd > t.inner && src[t.innerEnd-1] == '-' {
				t.trimRght = true
				t.innerEnd--
			}
		default:
			closeCh := byte('}')
			kind := tokVar
			name := "'}}'"
			if c == '%' {
				closeCh = '%'
				kind = tokBlock
				name = "'%}'"
			}
			t.kind = kind
			end, err := scanTagEnd(src, t.inner, closeCh)
			if err != nil {
				return nil, err
			}
			if end < 0 {
				what := "'{{'"
				if kind == tokBlock {
					what = "'{%'"
				}
				return nil, &syntaxError{pos: start, msg: fmt.Sprintf("unclosed %s: missing %s", what, name)}
			}
			t.innerEnd = end
			t.end = end + 2
			if t.innerEnd > t.inner && (src[t.innerEnd-1] == '-' || src[t.innerEnd-1] == '+') {
				t.trimRght = src[t.innerEnd-1] == '-'
				t.innerEnd--
			}
		}
		toks = append(toks, t)
		i = t.end
		textStart = i
		if t.kind == tokBlock && strings.TrimSpace(src[t.inner:t.innerEnd]) == "raw" {
			// Find the matching {% endraw %}.
			k := i
			found := false
			for {
				m := strings.Index(src[k:], "{%")
				if m < 0 {
					break
				}
				m += k
				e := strings.Index(src[m+2:], "%}")
				if e < 0 {
					break
				}
				e += m + 2
				body := src[m+2 : e]
				lt := strings.HasPrefix(body, "-")
				rt := strings.HasSuffix(body, "-")
				body = strings.Trim(body, "-+")
				if strings.TrimSpace(body) == "endraw" {
					toks = append(toks, tmplTok{kind: tokRaw, pos: i, end: m, inner: i, innerEnd: m})
					toks = append(toks, tmplTok{kind: tokBlock, pos: m, end: e + 2, inner: m + 2, innerEnd: e, trimLeft: lt, trimRght: rt})
					i = e + 2
					textStart = i
					found = true
					break
				}
				k = m + 2
			}
			if !found {
				return nil, errAt(start, "unclosed {%% raw %%}: missing {%% endraw %%}")
			}
		}
	}
	if textStart < n {
		toks = append(toks, tmplTok{kind: tokText, pos: textStart, end: n, inner: textStart, innerEnd: n})
	}
	// Whitespace control.
	for k := range toks {
		t := &toks[k]
		if t.kind == tokText || t.kind == tokRaw {
			continue
		}
		if t.trimLeft && k > 0 && toks[k-1].kind == tokText {
			p := &toks[k-1]
			for p.innerEnd > p.inner && isSpace(src[p.innerEnd-1]) {
				p.innerEnd--
			}
		}
		if t.trimRght && k+1 < len(toks) && toks[k+1].kind == tokText {
			p := &toks[k+1]
			for p.inner < p.innerEnd && isSpace(src[p.inner]) {
				p.inner++
			}
		}
	}
	return toks, nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// scanTagEnd finds the closing "X}" of a tag starting at i, skipping string
// literals; it returns the offset of X or -1.
func scanTagEnd(src string, i int, closeCh byte) (int, error) {
	n := len(src)
	for i < n {
		c := src[i]
		switch {
		case c == '\'' || c == '"':
			q := c
			start := i
			i++
			for i < n && src[i] != q {
				if src[i] == '\\' {
					i++
				}
				i++
			}
			if i >= n {
				return 0, errAt(start, "unterminated string literal")
			}
			i++
		case c == closeCh && i+1 < n && src[i+1] == '}':
			return i, nil
		case c == '{' && i+1 < n && (src[i+1] == '%' || (src[i+1] == '{' && closeCh == '%')):
			// A new tag opens before this one closed: report the unclosed tag.
			return -1, nil
		default:
			i++
		}
	}
	return -1, nil
}

// Expression tokens.
type etKind uint8

const (
	etEOF etKind = iota
	etName
	etInt
	etFloat
	etString
	etOp
)

type etok struct {
	kind etKind
	pos  int    // offset in the original source
	val  string // name, operator, number text or decoded string
}

// lexExpr tokenizes src[start:end] (the inside of a tag), appending the
// tokens to toks.
func lexExpr(toks []etok, src string, start, end int) ([]etok, error) {
	i := start
	for i < end {
		c := src[i]
		switch {
		case isSpace(c):
			i++
		case isIdentStart(c):
			j := i + 1
			for j < end && isIdentChar(src[j]) {
				j++
			}
			toks = append(toks, etok{etName, i, src[i:j]})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < end && (src[j] >= '0' && src[j] <= '9' || src[j] == '_') {
				j++
			}
			kind := etInt
			if j+1 < end && src[j] == '.' && src[j+1] >= '0' && src[j+1] <= '9' {
				kind = etFloat
				j++
				for j < end && (src[j] >= '0' && src[j] <= '9' || src[j] == '_') {
					j++
				}
			}
			if j < end && (src[j] == 'e' || src[j] == 'E') {
				k := j + 1
				if k < end && (src[k] == '+' || src[k] == '-') {
					k++
				}
				if k < end && src[k] >= '0' && src[k] <= '9' {
					kind = etFloat
					j = k
					for j < end && src[j] >= '0' && src[j] <= '9' {
						j++
					}
				}
			}
			toks = append(toks, etok{kind, i, strings.ReplaceAll(src[i:j], "_", "")})
			i = j
		case c == '\'' || c == '"':
			s, j, err := decodeString(src, i, end)
			if err != nil {
				return nil, err
			}
			toks = append(toks, etok{etString, i, s})
			i = j
		default:
			op := ""
			if i+1 < end {
				two := src[i : i+2]
				switch two {
				case "**", "//", "==", "!=", "<=", ">=":
					op = two
				}
			}
			if op == "" {
				switch c {
				case '+', '-', '*', '/', '%', '~', '|', '.', ',', ':', '(', ')', '[', ']', '{', '}', '=', '<', '>':
					op = src[i : i+1]
				default:
					return nil, errAt(i, "unexpected character %q in expression", c)
				}
			}
			toks = append(toks, etok{etOp, i, op})
			i += len(op)
		}
	}
	toks = append(toks, etok{etEOF, end, ""})
	return toks, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// decodeString decodes a Python string literal starting at src[i].
func decodeString(src string, i, end int) (string, int, error) {
	q := src[i]
	j := i + 1
	// Fast path: no escapes.
	k := j
	for k < end && src[k] != q && src[k] != '\\' {
		k++
	}
	if k < end && src[k] == q {
		return src[j:k], k + 1, nil
	}
	var b strings.Builder
	b.WriteString(src[j:k])
	j = k
	for j < end {
		c := src[j]
		if c == q {
			return b.String(), j + 1, nil
		}
		if c != '\\' {
			b.WriteByte(c)
			j++
			continue
		}
		if j+1 >= end {
			break
		}
		e := src[j+1]
		j += 2
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '0':
			b.WriteByte(0)
		case '\\', '\'', '"':
			b.WriteByte(e)
		case '\n':
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return "", end, errAt(i, "unterminated string literal")
}
