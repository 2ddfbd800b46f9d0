package compiler

import (
	"fmt"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// modules.datetime: the part of Python's datetime module dbt projects use
// (datetime.now/utcnow/strptime/fromisoformat, date, date.today,
// timedelta, strftime, isoformat, arithmetic of dates and timedeltas).

type pyDatetime struct{ T time.Time }

type pyDate struct{ T time.Time }

type pyTimedelta struct{ D time.Duration }

// dtClass is modules.datetime.datetime: callable, with class methods.
type dtClass func(args ...any) (any, error)

// dateClass is modules.datetime.date.
type dateClass func(args ...any) (any, error)

func datetimeModule() map[string]any {
	ints := func(args []any, names []string) ([]int, error) {
		pos, kw := jinja.Args(args)
		out := make([]int, len(names))
		for i, n := range names {
			var v any
			if i < len(pos) {
				v = pos[i]
			} else if x, ok := kw[n]; ok {
				v = x
			} else if i < 3 {
				return nil, fmt.Errorf("missing argument '%s'", n)
			} else {
				continue
			}
			switch x := v.(type) {
			case int:
				out[i] = x
			case float64:
				out[i] = int(x)
			default:
				return nil, fmt.Errorf("argument '%s' must be an integer", n)
			}
		}
		return out, nil
	}
	var dt dtClass = func(args ...any) (any, error) {
		n, err := ints(args, []string{"year", "month", "day", "hour", "minute", "second", "microsecond"})
		if err != nil {
			return nil, fmt.Errorf("datetime(): %v", err)
		}
		return pyDatetime{time.Date(n[0], time.Month(n[1]), n[2], n[3], n[4], n[5], n[6]*1000, time.UTC)}, nil
	}
	var d dateClass = func(args ...any) (any, error) {
		n, err := ints(args, []string{"year", "month", "day"})
		if err != nil {
			return nil, fmt.Errorf("date(): %v", err)
		}
		return pyDate{time.Date(n[0], time.Month(n[1]), n[2], 0, 0, 0, 0, time.UTC)}, nil
	}
	td := func(args ...any) (any, error) {
		pos, kw := jinja.Args(args)
		units := []struct {
			name string
			d    time.Duration
		}{{"days", 24 * time.Hour}, {"seconds", time.Second}, {"microseconds", time.Microsecond}, {"milliseconds", time.Millisecond}, {"minutes", time.Minute}, {"hours", time.Hour}, {"weeks", 7 * 24 * time.Hour}}
		var total time.Duration
		for i, u := range units {
			var v any
			if i < len(pos) {
				v = pos[i]
			} else if x, ok := kw[u.name]; ok {
				v = x
			} else {
				continue
			}
			switch x := v.(type) {
			case int:
				total += time.Duration(x) * u.d
			case float64:
				total += time.Duration(x * float64(u.d))
			default:
				return nil, fmt.Errorf("timedelta(): %s must be a number", u.name)
			}
		}
		return pyTimedelta{total}, nil
	}
	return map[string]any{
		"datetime":  dt,
		"date":      d,
		"timedelta": td,
		"timezone":  map[string]any{"utc": "UTC"},
	}
}

// Now is datetime.now() (UTC: runs are reproducible across machines).
func (dtClass) Now(args ...any) pyDatetime { return pyDatetime{time.Now().UTC()} }

// Utcnow is datetime.utcnow().
func (dtClass) Utcnow() pyDatetime { return pyDatetime{time.Now().UTC()} }

// Today is datetime.today().
func (dtClass) Today() pyDatetime { return pyDatetime{time.Now().UTC()} }

// Strptime is datetime.strptime(s, format).
func (dtClass) Strptime(s, format string) (pyDatetime, error) {
	t, err := time.Parse(goLayout(format), s)
	if err != nil {
		return pyDatetime{}, fmt.Errorf("strptime: time data %q does not match format %q", s, format)
	}
	return pyDatetime{t}, nil
}

// Fromisoformat is datetime.fromisoformat(s).
func (dtClass) Fromisoformat(s string) (pyDatetime, error) {
	for _, l := range []string{"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			return pyDatetime{t}, nil
		}
	}
	return pyDatetime{}, fmt.Errorf("fromisoformat: invalid isoformat string %q", s)
}

// Today is date.today().
func (dateClass) Today() pyDate {
	n := time.Now().UTC()
	return pyDate{time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)}
}

// Fromisoformat is date.fromisoformat(s).
func (dateClass) Fromisoformat(s string) (pyDate, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return pyDate{}, fmt.Errorf("fromisoformat: invalid isoformat string %q", s)
	}
	return pyDate{t}, nil
}

func (d pyDatetime) String() string {
	if d.T.Nanosecond() != 0 {
		return d.T.Format("2006-01-02 15:04:05.000000")
	}
	return d.T.Format("2006-01-02 15:04:05")
}
func (d pyDatetime) Strftime(f string) string { return strftime(d.T, f) }
func (d pyDatetime) Isoformat() string        { return strings.Replace(d.String(), " ", "T", 1) }
func (d pyDatetime) Date() pyDate {
	return pyDate{time.Date(d.T.Year(), d.T.Month(), d.T.Day(), 0, 0, 0, 0, time.UTC)}
}
func (d pyDatetime) Year() int    { return d.T.Year() }
func (d pyDatetime) Month() int   { return int(d.T.Month()) }
func (d pyDatetime) Day() int     { return d.T.Day() }
func (d pyDatetime) Hour() int    { return d.T.Hour() }
func (d pyDatetime) Minute() int  { return d.T.Minute() }
func (d pyDatetime) Second() int  { return d.T.Second() }
func (d pyDatetime) Weekday() int { return (int(d.T.Weekday()) + 6) % 7 }
func (d pyDatetime) Timestamp() float64 {
	return float64(d.T.UnixNano()) / 1e9
}

// Arith is datetime ± timedelta and datetime - datetime.
func (d pyDatetime) Arith(op string, other any, left bool) (any, bool) {
	return timeArith(d.T, false, op, other, left)
}

func (d pyDate) String() string           { return d.T.Format("2006-01-02") }
func (d pyDate) Strftime(f string) string { return strftime(d.T, f) }
func (d pyDate) Isoformat() string        { return d.String() }
func (d pyDate) Year() int                { return d.T.Year() }
func (d pyDate) Month() int               { return int(d.T.Month()) }
func (d pyDate) Day() int                 { return d.T.Day() }
func (d pyDate) Weekday() int             { return (int(d.T.Weekday()) + 6) % 7 }

// Arith is date ± timedelta and date - date.
func (d pyDate) Arith(op string, other any, left bool) (any, bool) {
	return timeArith(d.T, true, op, other, left)
}

func (t pyTimedelta) String() string {
	days := int(t.D / (24 * time.Hour))
	rest := t.D - time.Duration(days)*24*time.Hour
	s := fmt.Sprintf("%d:%02d:%02d", int(rest.Hours()), int(rest.Minutes())%60, int(rest.Seconds())%60)
	if days != 0 {
		unit := "days"
		if days == 1 || days == -1 {
			unit = "day"
		}
		s = fmt.Sprintf("%d %s, %s", days, unit, s)
	}
	return s
}
func (t pyTimedelta) Days() int             { return int(t.D / (24 * time.Hour)) }
func (t pyTimedelta) Seconds() int          { return int((t.D % (24 * time.Hour)) / time.Second) }
func (t pyTimedelta) TotalSeconds() float64 { return t.D.Seconds() }
func (t pyTimedelta) Arith(op string, other any, left bool) (any, bool) {
	o, ok := other.(pyTimedelta)
	if !ok {
		return nil, false
	}
	switch op {
	case "add":
		return pyTimedelta{t.D + o.D}, true
	case "sub":
		if left {
			return pyTimedelta{t.D - o.D}, true
		}
		return pyTimedelta{o.D - t.D}, true
	}
	return nil, false
}

func timeArith(t time.Time, isDate bool, op string, other any, left bool) (any, bool) {
	wrap := func(t time.Time) any {
		if isDate {
			return pyDate{t}
		}
		return pyDatetime{t}
	}
	switch o := other.(type) {
	case pyTimedelta:
		switch {
		case op == "add":
			return wrap(t.Add(o.D)), true
		case op == "sub" && left:
			return wrap(t.Add(-o.D)), true
		}
	case pyDatetime, pyDate:
		if op != "sub" {
			return nil, false
		}
		var ot time.Time
		if x, ok := o.(pyDatetime); ok {
			ot = x.T
		} else {
			ot = o.(pyDate).T
		}
		if left {
			return pyTimedelta{t.Sub(ot)}, true
		}
		return pyTimedelta{ot.Sub(t)}, true
	}
	return nil, false
}

// strftime formats t with Python's directives.
func strftime(t time.Time, f string) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 'Y':
			fmt.Fprintf(&b, "%04d", t.Year())
		case 'y':
			fmt.Fprintf(&b, "%02d", t.Year()%100)
		case 'm':
			fmt.Fprintf(&b, "%02d", int(t.Month()))
		case 'd':
			fmt.Fprintf(&b, "%02d", t.Day())
		case 'H':
			fmt.Fprintf(&b, "%02d", t.Hour())
		case 'I':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			fmt.Fprintf(&b, "%02d", h)
		case 'M':
			fmt.Fprintf(&b, "%02d", t.Minute())
		case 'S':
			fmt.Fprintf(&b, "%02d", t.Second())
		case 'f':
			fmt.Fprintf(&b, "%06d", t.Nanosecond()/1000)
		case 'p':
			b.WriteString(t.Format("PM"))
		case 'b':
			b.WriteString(t.Format("Jan"))
		case 'B':
			b.WriteString(t.Format("January"))
		case 'a':
			b.WriteString(t.Format("Mon"))
		case 'A':
			b.WriteString(t.Format("Monday"))
		case 'j':
			fmt.Fprintf(&b, "%03d", t.YearDay())
		case 'Z':
			b.WriteString(t.Format("MST"))
		case 'z':
			b.WriteString(t.Format("-0700"))
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(f[i])
		}
	}
	return b.String()
}

// goLayout converts a Python strptime format to a Go layout.
func goLayout(f string) string {
	r := strings.NewReplacer("%Y", "2006", "%y", "06", "%m", "01", "%d", "02", "%H", "15", "%I", "03", "%M", "04", "%S", "05", "%f", "000000", "%p", "PM", "%b", "Jan", "%B", "January", "%a", "Mon", "%A", "Monday", "%Z", "MST", "%z", "-0700", "%%", "%")
	return r.Replace(f)
}
