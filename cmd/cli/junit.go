package cli

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/runner"
)

// JUnit XML in the shape CI systems read (Jenkins, GitLab, the GitHub
// test-report actions): testsuites > testsuite > testcase, with failure,
// error and skipped children.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func seconds(f float64) string { return fmt.Sprintf("%.3f", f) }

// junitReport groups results into one suite per resource type.
func junitReport(command string, results []*runner.Result, elapsed time.Duration, started time.Time) junitSuites {
	out := junitSuites{Name: "kiln " + command, Time: seconds(elapsed.Seconds())}
	for _, typ := range []string{compiler.Seed, compiler.Model, compiler.Snapshot, compiler.Test} {
		suite := junitSuite{Name: typ, Timestamp: started.UTC().Format("2006-01-02T15:04:05")}
		total := 0.0
		for _, r := range results {
			n := r.Node
			if n.ResourceType != typ {
				continue
			}
			tc := junitCase{Name: n.Name, Classname: "kiln." + typ, File: n.Path, Time: seconds(r.ExecutionTime)}
			total += r.ExecutionTime
			switch r.Status {
			case runner.StatusFail:
				tc.Failure = &junitProblem{Message: firstLine(r.Message), Type: "fail", Text: r.Message}
				suite.Failures++
			case runner.StatusError:
				tc.Error = &junitProblem{Message: firstLine(r.Message), Type: "error", Text: r.Message}
				suite.Errors++
			case runner.StatusSkipped, runner.StatusCancelled:
				tc.Skipped = &junitProblem{Message: r.Message}
				suite.Skipped++
			case runner.StatusWarn:
				tc.SystemOut = "WARN: " + r.Message
			}
			suite.Cases = append(suite.Cases, tc)
			suite.Tests++
		}
		if suite.Tests == 0 {
			continue
		}
		suite.Time = seconds(total)
		out.Tests += suite.Tests
		out.Failures += suite.Failures
		out.Errors += suite.Errors
		out.Skipped += suite.Skipped
		out.Suites = append(out.Suites, suite)
	}
	return out
}

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}

func writeJUnit(path, command string, results []*runner.Result, elapsed time.Duration, started time.Time, secrets []string) error {
	b, err := xml.MarshalIndent(junitReport(command, results, elapsed, started), "", "  ")
	if err != nil {
		return err
	}
	return writeFile(path, append([]byte(xml.Header), append(b, '\n')...), secrets)
}

// reportCI writes --junit-xml and, on GitHub Actions, annotations.
func (s *session) reportCI(c *ucli.Context, command string, results []*runner.Result, elapsed time.Duration) error {
	if p := c.String("junit-xml"); p != "" {
		if !filepath.IsAbs(p) {
			if wd, err := os.Getwd(); err == nil {
				p = filepath.Join(wd, p)
			}
		}
		if err := writeJUnit(p, command, results, elapsed, s.started, s.profile.Secrets); err != nil {
			return &exitError{code: exitFailed, msg: "error: writing --junit-xml: " + err.Error()}
		}
	}
	if s.e.getenv("GITHUB_ACTIONS") == "true" {
		s.annotate(results)
	}
	return nil
}
