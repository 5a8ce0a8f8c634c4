package api_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
)

// fakeDevFaults is a fault registry that knows two kinds and the KIND:vm=NAME form.
type fakeDevFaults struct {
	mu    sync.Mutex
	rules []string
}

var fakeKinds = []string{"vsphere.clone", "node.boot"}

func (f *fakeDevFaults) List() api.DevFaultList {
	f.mu.Lock()
	defer f.mu.Unlock()
	return api.DevFaultList{Faults: slices.Clone(f.rules), Fired: []string{"vsphere.clone call 3 (VM \"w-1\") failed"}, Kinds: fakeKinds}
}

func (f *fakeDevFaults) Add(spec string) (string, error) {
	kind, vm, ok := strings.Cut(strings.TrimSpace(spec), ":vm=")
	if !ok || vm == "" {
		return "", errors.New("want KIND:vm=NAME")
	}
	if !slices.Contains(fakeKinds, kind) {
		return "", errors.New("unknown kind " + kind)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, kind+":vm="+vm)
	return kind + ":vm=" + vm, nil
}

func (f *fakeDevFaults) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = nil
}

func (f *fakeDevFaults) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.rules)
}

// TestDevFaults serves the API with a fault registry, as `clusterwright dev` does, and
// without one, as a production server does: /dev/faults answers admins only, adds,
// lists and clears rules, names "fault" in every 400, audits each change; without a
// registry it does not exist.
func TestDevFaults(t *testing.T) {
	env := apptest.Start(t)
	for _, method := range []string{"GET", "POST", "DELETE"} {
		p := readProblem(t, env.Do(method, "/dev/faults", env.AdminToken, `{"fault":"vsphere.clone:vm=w-1"}`), http.StatusNotFound)
		if p.Detail != "no such endpoint" {
			t.Errorf("%s /dev/faults outside dev mode: %+v", method, p)
		}
	}

	faults := &fakeDevFaults{}
	cfg := env.App.APIConfig()
	cfg.DevFaults = faults
	srv := httptest.NewServer(api.New(cfg).Handler())
	defer srv.Close()
	dev := *env
	dev.URL = srv.URL
	viewer, operator := env.Token("view", domain.RoleViewer), env.Token("op", domain.RoleOperator)

	for _, method := range []string{"GET", "POST", "DELETE"} {
		body := `{"fault":"vsphere.clone:vm=w-1"}`
		if r := dev.Do(method, "/dev/faults", "", body); r.Status != http.StatusUnauthorized || r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s /dev/faults without a token: %d %s", method, r.Status, r.Body)
		}
		for _, tok := range []string{viewer, operator} {
			readProblem(t, dev.Do(method, "/dev/faults", tok, body), http.StatusForbidden)
		}
	}
	if faults.count() != 0 {
		t.Fatal("a refused call added a rule")
	}

	var list api.DevFaultList
	if r := dev.Do("GET", "/dev/faults", env.AdminToken, nil); r.Status != http.StatusOK {
		t.Fatalf("GET /dev/faults: %d %s", r.Status, r.Body)
	} else if r.JSON(t, &list); len(list.Faults) != 0 || !slices.Equal(list.Kinds, fakeKinds) || len(list.Fired) != 1 {
		t.Fatalf("GET /dev/faults = %s", r.Body)
	}

	r := dev.Do("POST", "/dev/faults", env.AdminToken, `{"fault":" node.boot:vm=w-1 "}`)
	var added api.DevFault
	if r.Status != http.StatusCreated {
		t.Fatalf("POST /dev/faults: %d %s", r.Status, r.Body)
	}
	if r.JSON(t, &added); added.Fault != "node.boot:vm=w-1" {
		t.Errorf("added %+v, want the canonical node.boot:vm=w-1", added)
	}
	dev.Do("GET", "/dev/faults", env.AdminToken, nil).JSON(t, &list)
	if !slices.Equal(list.Faults, []string{"node.boot:vm=w-1"}) {
		t.Errorf("faults after POST: %v", list.Faults)
	}

	for body, field := range map[string]string{
		`{"fault":"vsphere.clone:zero"}`:   "fault", // bad syntax
		`{"fault":"disk.melt:vm=w-1"}`:     "fault", // unknown kind
		`{"fault":""}`:                     "fault",
		`{}`:                               "fault",
		`{"fault":3}`:                      "fault",
		`{"fault":"node.boot:vm=a","x":1}`: "x",
		`{"fault":"node.boot:vm=a"} {}`:    "body",
	} {
		p := readProblem(t, dev.Do("POST", "/dev/faults", env.AdminToken, body), http.StatusBadRequest)
		if got := p.fieldNames(t); !slices.Equal(got, []string{field}) {
			t.Errorf("POST %s: fields %v, want [%s]", body, got, field)
		}
	}
	req, _ := http.NewRequest("POST", dev.URL+"/dev/faults", strings.NewReader(`fault=node.boot:vm=a`))
	req.Header.Set("Authorization", "Bearer "+env.AdminToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("POST a form: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if faults.count() != 1 {
		t.Fatalf("bad input changed the rules: %d", faults.count())
	}

	if r := dev.Do("DELETE", "/dev/faults", env.AdminToken, nil); r.Status != http.StatusNoContent || len(r.Body) != 0 {
		t.Fatalf("DELETE /dev/faults: %d %s", r.Status, r.Body)
	}
	dev.Do("GET", "/dev/faults", env.AdminToken, nil).JSON(t, &list)
	if list.Faults == nil || len(list.Faults) != 0 {
		t.Errorf("faults after DELETE: %#v, want []", list.Faults)
	}

	adds := auditEvents(t, env, "dev.faults.add")
	for _, want := range []struct {
		actor, outcome string
		status         int
	}{{"admin", domain.OutcomeSuccess, 201}, {"admin", domain.OutcomeFailure, 400}, {"view", domain.OutcomeDenied, 403}, {"op", domain.OutcomeDenied, 403}} {
		if !hasAudit(adds, want.actor, "dev/faults", want.outcome, want.status) {
			t.Errorf("no dev.faults.add audit event of %s %s %d: %+v", want.actor, want.outcome, want.status, adds)
		}
	}
	var detail map[string]string
	for _, e := range adds {
		if e.Outcome == domain.OutcomeSuccess {
			_ = json.Unmarshal(e.Detail, &detail)
		}
	}
	if detail["fault"] != "node.boot:vm=w-1" {
		t.Errorf("the audit event of the added fault does not name it: %v", detail)
	}
	clears := auditEvents(t, env, "dev.faults.clear")
	if !hasAudit(clears, "admin", "dev/faults", domain.OutcomeSuccess, 204) || !hasAudit(clears, "view", "dev/faults", domain.OutcomeDenied, 403) {
		t.Errorf("dev.faults.clear audit events: %+v", clears)
	}
}
