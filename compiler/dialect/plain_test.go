package dialect

import (
	"regexp"
	"testing"
)

// plainIdent is the byte-loop form of the identifier patterns Quote used
// as regular expressions; it must accept exactly what they accept.
func TestPlainIdentMatchesPatterns(t *testing.T) {
	duck := regexp.MustCompile(`^[a-z_][a-z0-9_$]*$`)
	snow := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*$`)
	for _, s := range []string{"", "a", "_", "A", "a1", "1a", "$a", "a$", "a_b", "aB", "Ab", "a b", "a-b", "é", "aé", "a\x00", "__", "Z9$", "9", "a.b"} {
		if got, want := duckdbPlain(s), duck.MatchString(s); got != want {
			t.Errorf("duckdbPlain(%q) = %v, want %v", s, got, want)
		}
		if got, want := snowflakePlain(s), snow.MatchString(s); got != want {
			t.Errorf("snowflakePlain(%q) = %v, want %v", s, got, want)
		}
	}
}

func FuzzPlainIdent(f *testing.F) {
	duck := regexp.MustCompile(`^[a-z_][a-z0-9_$]*$`)
	snow := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*$`)
	f.Add("a_b$1")
	f.Fuzz(func(t *testing.T, s string) {
		if duckdbPlain(s) != duck.MatchString(s) || snowflakePlain(s) != snow.MatchString(s) {
			t.Fatalf("%q: %v %v", s, duckdbPlain(s), snowflakePlain(s))
		}
	})
}
