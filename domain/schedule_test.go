package domain

import (
	"slices"
	"testing"
)

func TestScheduleValidate(t *testing.T) {
	ok := []ScheduleInput{
		{Kind: ScheduleBackup, Cluster: "east", Cron: "0 3 * * *"},
		{Kind: ScheduleCertificateCheck, Cluster: "*", Every: "1m", Jitter: "30s"},
		{Kind: ScheduleCertificateRenewal, Cluster: "*", Every: "24h", ScheduleParams: ScheduleParams{RenewBeforeDays: 10}},
		{Kind: ScheduleBackup, Cluster: "east", Cron: "*/15 1-5 * * MON-FRI", Overlap: "skip", ScheduleParams: ScheduleParams{Retention: 3}},
	}
	for _, in := range ok {
		in.Defaults()
		if err := in.Validate(); err != nil {
			t.Errorf("%+v: %v", in, err)
		}
	}
	bad := []struct {
		in     ScheduleInput
		fields []string
	}{
		{ScheduleInput{}, []string{"kind", "cluster", "cron"}},
		{ScheduleInput{Kind: "restore", Cluster: "East", Cron: "0 3 * * *", Every: "1h"}, []string{"kind", "cluster", "every"}},
		{ScheduleInput{Kind: ScheduleBackup, Cluster: "east", Cron: "@daily"}, []string{"cron"}},
		{ScheduleInput{Kind: ScheduleBackup, Cluster: "east", Cron: "61 * * * *"}, []string{"cron"}},
		{ScheduleInput{Kind: ScheduleBackup, Cluster: "east", Cron: "0 0 3 * * *"}, []string{"cron"}},
		{ScheduleInput{Kind: ScheduleBackup, Cluster: "east", Every: "30s", Jitter: "2h", Overlap: "allow"}, []string{"every", "jitter", "overlap"}},
		{ScheduleInput{Kind: ScheduleBackup, Cluster: "east", Every: "1h", ScheduleParams: ScheduleParams{RenewBeforeDays: 5, Retention: -1}},
			[]string{"renew_before_days", "retention"}},
		{ScheduleInput{Kind: ScheduleCertificateCheck, Cluster: "east", Every: "1h", ScheduleParams: ScheduleParams{Retention: 5}}, []string{"retention"}},
		{ScheduleInput{Kind: ScheduleCertificateRenewal, Cluster: "east", Every: "1h", ScheduleParams: ScheduleParams{RenewBeforeDays: 400}}, []string{"renew_before_days"}},
	}
	for _, c := range bad {
		err := c.in.Validate()
		v, isV := AsValidation(err)
		if !isV {
			t.Errorf("%+v: %v, want a validation error", c.in, err)
			continue
		}
		var got []string
		for _, f := range v.Fields {
			got = append(got, f.Field)
		}
		if !slices.Equal(got, c.fields) {
			t.Errorf("%+v: fields %v, want %v (%v)", c.in, got, c.fields, err)
		}
	}
}

func TestScheduleDefaultsAndOutcome(t *testing.T) {
	renew := ScheduleInput{Kind: ScheduleCertificateRenewal}
	renew.Defaults()
	backup := ScheduleInput{Kind: ScheduleBackup}
	backup.Defaults()
	if renew.RenewBeforeDays != DefaultRenewBeforeDays || renew.Retention != 0 || backup.Retention != DefaultRetention ||
		backup.RenewBeforeDays != 0 || backup.Overlap != OverlapSkip {
		t.Fatalf("defaults: %+v %+v", renew, backup)
	}
	for c, want := range map[RunCounts]string{
		{}:                                    RunSkipped,
		{Skipped: 2}:                          RunSkipped,
		{Succeeded: 1, Skipped: 1}:            RunSucceeded,
		{Failed: 2}:                           RunFailed,
		{Failed: 1, Skipped: 3}:               RunFailed,
		{Succeeded: 1, Failed: 1, Skipped: 1}: RunPartiallyFailed,
	} {
		if got := c.Outcome(); got != want {
			t.Errorf("%+v: %s, want %s", c, got, want)
		}
	}
}
