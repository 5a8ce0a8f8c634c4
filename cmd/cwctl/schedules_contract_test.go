package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
)

// Tests of `cwctl schedules` against fakeAPI, answering as api/openapi.yaml says: the
// request each command sends, what it prints, and the API's refusals.

const schedID = "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d"

// fakeSchedule is a "*" backup schedule whose last run succeeded on one cluster and
// skipped a busy one.
func fakeSchedule(paused bool) map[string]any {
	next := []any{"2026-12-03T03:00:00Z"}
	if paused {
		next = []any{}
	}
	return map[string]any{"id": schedID, "kind": "backup", "cluster": "*", "cron": "0 3 * * *", "jitter": "10m",
		"overlap": "skip", "paused": paused, "retention": 14, "created_by": "op", "created_at": at(0), "next_runs": next,
		"last_run": map[string]any{"time": at(3), "finished_at": at(9), "outcome": "Succeeded", "operations": []any{opID},
			"counts": map[string]any{"succeeded": 1, "failed": 0, "skipped": 1},
			"targets": []any{
				map[string]any{"cluster": "east", "operation": opID, "outcome": "Succeeded"},
				map[string]any{"cluster": "west", "outcome": "Skipped", "reason": "cluster west is busy with operation x"},
			}}}
}

func TestScheduleViews(t *testing.T) {
	f := newFakeAPI(t)
	sc, _ := json.Marshal(fakeSchedule(false))
	f.lists["/api/v1/schedules"] = `{"items": [` + string(sc) + `, {"id": "s2", "kind": "certificate-check", "cluster": "east", "every": "6h", "overlap": "skip", "paused": true, "next_runs": []}]}`

	r := ok(t, "schedules", "list", "--kind", "backup", "--cluster", "*")
	want := "ID                                    KIND               CLUSTER  WHEN                 PAUSED  NEXT RUN              LAST RUN              OUTCOME\n" +
		schedID + "  backup             *        cron 0 3 * * * ±10m  no      2026-12-03T03:00:00Z  2026-12-02T10:03:00Z  Succeeded\n" +
		"s2                                    certificate-check  east     every 6h             yes     -                     -                     -\n"
	if r.stdout != want {
		t.Errorf("schedules list:\n%s\nwant:\n%s", r.stdout, want)
	}
	if q := f.requestsTo("GET", "/api/v1/schedules"); len(q) != 1 || q[0].query != "cluster=%2A&kind=backup&limit=500" {
		t.Errorf("schedules list asked %+v", q)
	}

	f.script("GET", "/api/v1/schedules/"+schedID, http.StatusOK, fakeSchedule(false))
	r = ok(t, "schedules", "get", schedID)
	for _, want := range []string{
		`(?m)^id:\s+` + schedID + `$`, `(?m)^kind:\s+backup$`, `(?m)^cluster:\s+\*$`, `(?m)^when:\s+cron 0 3 \* \* \* ±10m$`,
		`(?m)^settings:\s+retention 14$`, `(?m)^paused:\s+no$`, `(?m)^next run:\s+2026-12-03T03:00:00Z$`,
		`(?m)^last run:\s+2026-12-02T10:03:00Z Succeeded$`, `(?m)^counts:\s+1 succeeded, 0 failed, 1 skipped$`,
		`(?m)^east\s+Succeeded\s+` + opID + `\s+-$`, `(?m)^west\s+Skipped\s+-\s+cluster west is busy with operation x$`,
	} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("schedules get does not match %s:\n%s", want, r.stdout)
		}
	}
	var got domain.Schedule
	decode(t, ok(t, "schedules", "get", schedID, "-o", "json"), &got)
	if got.ID != schedID || got.LastRun == nil || got.LastRun.Counts.Skipped != 1 || got.Retention != 14 {
		t.Errorf("schedules get -o json = %+v", got)
	}

	f.script("GET", "/api/v1/schedules/nope", http.StatusNotFound, map[string]any{"title": "Not Found", "status": 404, "detail": "schedule nope: not found"})
	if r = cwctl(t, "schedules", "get", "nope"); r.code != 2 || r.stderr != "error: schedule nope: not found\n" {
		t.Errorf("schedules get of an unknown schedule: exit %d %q", r.code, r.stderr)
	}
}

func TestScheduleChanges(t *testing.T) {
	f := newFakeAPI(t)
	file := filepath.Join(t.TempDir(), "nightly.yaml")
	os.WriteFile(file, []byte("kind: backup\ncluster: \"*\"\ncron: \"0 3 * * *\"\nretention: 14\n"), 0o600)

	f.script("POST", "/api/v1/schedules", http.StatusCreated, fakeSchedule(false))
	r := ok(t, "schedules", "create", "-f", file)
	if !regexp.MustCompile(`^schedule ` + schedID + ` created\nid:`).MatchString(r.stdout) {
		t.Errorf("schedules create:\n%s", r.stdout)
	}
	var body map[string]any
	if sent := f.requestsTo("POST", "/api/v1/schedules"); len(sent) != 1 || json.Unmarshal(sent[0].body, &body) != nil ||
		!reflect.DeepEqual(body, map[string]any{"kind": "backup", "cluster": "*", "cron": "0 3 * * *", "retention": float64(14)}) {
		t.Errorf("schedules create sent %+v (%v)", sent, body)
	}
	f.script("POST", "/api/v1/schedules", http.StatusUnprocessableEntity, map[string]any{"title": "Preflight failed", "status": 422,
		"detail": "the inventory cannot satisfy one or more fields",
		"errors": []map[string]string{{"field": "kind", "message": "backup is not available on this server (available: certificate-check)"}}})
	if r = cwctl(t, "schedules", "create", "-f", file); r.code != 2 ||
		r.stderr != "error: the inventory cannot satisfy one or more fields\n  kind: backup is not available on this server (available: certificate-check)\n" {
		t.Errorf("a refused create: exit %d %q", r.code, r.stderr)
	}

	for action, paused := range map[string]bool{"pause": true, "unpause": false, "trigger": false} {
		f.script("POST", "/api/v1/schedules/"+schedID+"/"+action, http.StatusOK, fakeSchedule(paused))
		r = ok(t, "schedules", action, schedID)
		done := map[string]string{"pause": "paused", "unpause": "unpaused", "trigger": "triggered"}[action]
		if !regexp.MustCompile(`^schedule ` + schedID + ` ` + done + `\n(?s:.*)paused:\s+` + yesNo(paused) + `\n`).MatchString(r.stdout) {
			t.Errorf("schedules %s:\n%s", action, r.stdout)
		}
		if sent := f.requestsTo("POST", "/api/v1/schedules/"+schedID+"/"+action); len(sent) != 1 || len(sent[0].body) != 0 {
			t.Errorf("schedules %s sent %+v", action, sent)
		}
	}

	f.script("DELETE", "/api/v1/schedules/"+schedID, http.StatusNoContent, nil)
	if r = ok(t, "schedules", "delete", schedID); r.stdout != "schedule "+schedID+" deleted\n" {
		t.Errorf("schedules delete: %q", r.stdout)
	}
	if r = cwctl(t, "schedules", "pause"); r.code != 2 {
		t.Errorf("pause without ID: exit %d", r.code)
	}
}
