package web_test

import (
	"testing"

	"github.com/clusterwright/clusterwright/app/apptest"
)

// TestMain runs the tests under apptest's watchdog, which names a hung test before the
// package's timeout.
func TestMain(m *testing.M) { apptest.Main(m) }
