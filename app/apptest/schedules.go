package apptest

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/clusterwright/clusterwright/domain"
)

// ScheduleRunTimeout bounds a triggered run of a schedule, the operations it waits for included.
const ScheduleRunTimeout = 5 * time.Minute

// CreateSchedule creates a schedule through the API.
func CreateSchedule(t testing.TB, env *Env, token string, body map[string]any) domain.Schedule {
	t.Helper()
	r := env.Do("POST", "/api/v1/schedules", token, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create schedule %v: %d %s", body, r.Status, r.Body)
	}
	var sc domain.Schedule
	r.JSON(t, &sc)
	return sc
}

// GetSchedule reads a schedule through the API.
func GetSchedule(t testing.TB, env *Env, token, id string) domain.Schedule {
	t.Helper()
	r := env.Do("GET", "/api/v1/schedules/"+id, token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("get schedule %s: %d %s", id, r.Status, r.Body)
	}
	var sc domain.Schedule
	r.JSON(t, &sc)
	return sc
}

// TriggerSchedule runs a schedule now and returns the run once it is recorded: a last
// run other than the one recorded before the trigger.
func TriggerSchedule(t testing.TB, env *Env, token, id string) domain.ScheduleRun {
	t.Helper()
	before := GetSchedule(t, env, token, id).LastRun
	if r := env.Do("POST", "/api/v1/schedules/"+id+"/trigger", token, nil); r.Status != http.StatusOK {
		t.Fatalf("trigger schedule %s: %d %s", id, r.Status, r.Body)
	}
	for deadline := time.Now().Add(ScheduleRunTimeout); ; {
		run := GetSchedule(t, env, token, id).LastRun
		if run != nil && (before == nil || !run.Time.Equal(before.Time)) {
			return *run
		}
		if time.Now().After(deadline) {
			t.Fatalf("schedule %s has no new run %s after its trigger", id, ScheduleRunTimeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TemporalNotFound reports whether err is Temporal's NotFound (e.g. describing a
// schedule that was deleted).
func TemporalNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}
