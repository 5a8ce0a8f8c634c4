package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/clusterwright/clusterwright/app/apptest"
)

// TestMain runs the tests under apptest's watchdog, which names a hung test before the
// package's timeout. No test reads the config file of the person running them.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cwctl-test-")
	if err != nil {
		panic(err)
	}
	os.Setenv(envConfig, filepath.Join(dir, "cwctl.json"))
	apptest.Main(m)
}
