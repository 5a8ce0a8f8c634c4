package api_test

import (
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/clusterwright/clusterwright/api"
)

// TestFuzzTargetsCoverEveryBody checks that every operation of the contract that takes
// a JSON body has a fuzz target (bodyFuzzTargets), and that every target drives one.
func TestFuzzTargetsCoverEveryBody(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var withBody []string
	for path, item := range doc.Paths {
		for method, op := range item {
			if op, ok := op.(map[string]any); ok && op["requestBody"] != nil {
				withBody = append(withBody, strings.ToUpper(method)+" "+path)
			}
		}
	}
	if len(withBody) < 10 {
		t.Fatalf("only %d operations with a body in the contract: %v", len(withBody), withBody)
	}
	slices.Sort(withBody)
	for _, key := range withBody {
		if bodyFuzzTargets[key] == "" {
			t.Errorf("%s takes a JSON body but has no fuzz target (add one to api/fuzz_bodies_test.go)", key)
		}
	}
	// A retry takes an optional empty object, which the contract leaves out.
	undocumented := map[string]bool{"POST /api/v1/operations/{id}/retry": true}
	for key, target := range bodyFuzzTargets {
		if !slices.Contains(withBody, key) && !undocumented[key] {
			t.Errorf("%s of %s takes no body in the contract", target, key)
		}
	}
}
