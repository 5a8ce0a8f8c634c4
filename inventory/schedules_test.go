package inventory_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

func TestScheduleRecords(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)

	backup := domain.ScheduleInput{Kind: domain.ScheduleBackup, Cluster: "east", Cron: "0 3 * * *", Jitter: "5m"}
	backup.Defaults()
	created, err := s.CreateSchedule(ctx, backup, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if created.ID == "" || created.Retention != domain.DefaultRetention || created.Overlap != domain.OverlapSkip ||
		created.CreatedBy != "alice" || created.LastRun != nil || created.Paused {
		t.Fatalf("created = %+v", created)
	}
	got, err := s.GetSchedule(ctx, created.ID)
	if err != nil || got.Cron != "0 3 * * *" || got.Jitter != "5m" || got.Cluster != "east" {
		t.Fatalf("get = %+v, %v", got, err)
	}
	for _, id := range []string{"nope", "00000000-0000-0000-0000-000000000000"} {
		if _, err := s.GetSchedule(ctx, id); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("get %s: %v, want not found", id, err)
		}
		if err := s.SetSchedulePaused(ctx, id, true); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("pause %s: %v, want not found", id, err)
		}
	}

	// Pages of one, oldest first, then filters.
	all := []string{created.ID}
	for _, in := range []domain.ScheduleInput{
		{Kind: domain.ScheduleCertificateCheck, Cluster: domain.AllClusters, Every: "1h"},
		{Kind: domain.ScheduleCertificateRenewal, Cluster: "west", Every: "24h", ScheduleParams: domain.ScheduleParams{RenewBeforeDays: 20}},
	} {
		sc, err := s.CreateSchedule(ctx, in, "bob")
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, sc.ID)
	}
	var seen []string
	page := inventory.Page{Limit: 1}
	for {
		list, next, err := s.ListSchedules(ctx, inventory.ScheduleFilter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range list {
			seen = append(seen, sc.ID)
		}
		if next == "" {
			break
		}
		page.Cursor = next
	}
	if len(seen) != 3 || seen[0] != all[0] || seen[1] != all[1] || seen[2] != all[2] {
		t.Fatalf("paged ids = %v, want %v", seen, all)
	}
	if _, _, err := s.ListSchedules(ctx, inventory.ScheduleFilter{}, inventory.Page{Cursor: "junk"}); err == nil {
		t.Fatal("a junk cursor was accepted")
	}
	star, _, err := s.ListSchedules(ctx, inventory.ScheduleFilter{Cluster: "*"}, inventory.Page{})
	if err != nil || len(star) != 1 || star[0].Kind != domain.ScheduleCertificateCheck {
		t.Fatalf("schedules of * = %+v, %v", star, err)
	}
	ofWest, err := s.ClusterSchedules(ctx, "west")
	if err != nil || len(ofWest) != 1 || ofWest[0].RenewBeforeDays != 20 {
		t.Fatalf("schedules of west = %+v, %v", ofWest, err)
	}

	// Pause and the last run.
	if err := s.SetSchedulePaused(ctx, created.ID, true); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	run := domain.ScheduleRun{Time: at, FinishedAt: at.Add(time.Minute), Outcome: domain.RunPartiallyFailed,
		Operations: []string{"op-1", "op-2"}, Counts: domain.RunCounts{Succeeded: 1, Failed: 1, Skipped: 1},
		Targets: []domain.ScheduledTarget{{Cluster: "east", Operation: "op-1", Outcome: domain.RunSucceeded}}}
	if err := s.RecordScheduleRun(ctx, created.ID, run); err != nil {
		t.Fatal(err)
	}
	got, err = s.GetSchedule(ctx, created.ID)
	if err != nil || !got.Paused || got.LastRun == nil || got.LastRun.Outcome != domain.RunPartiallyFailed ||
		!got.LastRun.Time.Equal(at) || got.LastRun.Counts != run.Counts || len(got.LastRun.Operations) != 2 ||
		got.LastRun.Targets[0].Operation != "op-1" {
		t.Fatalf("after pause and run: %+v, %v", got, err)
	}
	all2, err := s.AllSchedules(ctx)
	if err != nil || len(all2) != 3 {
		t.Fatalf("all = %d, %v", len(all2), err)
	}

	if err := s.DeleteSchedule(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSchedule(ctx, created.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := s.GetSchedule(ctx, created.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
}
