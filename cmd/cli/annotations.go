package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/kiln-build/kiln/runner"
)

// GitHub Actions workflow commands: an ::error or ::warning line on stdout
// becomes an annotation on the file and line of the pull request's diff.
// https://docs.github.com/actions/reference/workflow-commands-for-github-actions

func ghEscapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func ghEscapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// annotationPath is the node's file relative to the repository root
// (GITHUB_WORKSPACE), which is what GitHub matches against the diff.
func (s *session) annotationPath(file string) string {
	p := filepath.Join(s.projectDir, filepath.FromSlash(file))
	if ws := s.e.getenv("GITHUB_WORKSPACE"); ws != "" {
		if abs, err := filepath.Abs(p); err == nil {
			if rel, err := filepath.Rel(ws, abs); err == nil && !strings.HasPrefix(rel, "..") {
				return filepath.ToSlash(rel)
			}
		}
	}
	if filepath.IsAbs(s.projectDir) {
		return file
	}
	return filepath.ToSlash(filepath.Clean(p))
}

func (s *session) annotate(results []*runner.Result) {
	for _, r := range results {
		level := ""
		switch r.Status {
		case runner.StatusError, runner.StatusFail:
			level = "error"
		case runner.StatusWarn:
			level = "warning"
		default:
			continue
		}
		n := r.Node
		line := n.Pos.Line
		if line <= 0 {
			line = 1
		}
		title := fmt.Sprintf("%s %s %s", n.ResourceType, n.Name, strings.ToUpper(string(r.Status)))
		msg := r.Message
		if r.Failures > 0 && n.ResourceType == "test" {
			msg = fmt.Sprintf("%d failing row(s): %s", r.Failures, msg)
		}
		fmt.Fprintf(s.e.stdout, "::%s file=%s,line=%d,title=%s::%s\n", level, ghEscapeProperty(s.annotationPath(n.Path)), line, ghEscapeProperty(title), ghEscapeData(masker(s.profile.Secrets).mask(msg)))
	}
}
