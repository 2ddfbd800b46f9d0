package runner

import (
	"io"

	"github.com/snowflakedb/gosnowflake"
)

// The driver logs every failed statement to stderr through its own global
// logger, which would print raw driver lines between Kiln's node lines;
// Kiln reports the same errors itself, with the node they belong to.
func init() {
	gosnowflake.GetLogger().SetOutput(io.Discard)
}
