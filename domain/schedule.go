package domain

import (
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule kinds: the Day-2 operations a schedule can run.
const (
	ScheduleBackup             = "backup"
	ScheduleCertificateCheck   = "certificate-check"
	ScheduleCertificateRenewal = "certificate-renewal"
	// ScheduleClusterHealth checks what each cluster really is and sets its phase Ready,
	// Degraded or Unreachable; it starts no operation.
	ScheduleClusterHealth = "cluster-health"
)

// ScheduleKinds lists every schedule kind the API accepts (a server runs only those it
// has registered).
var ScheduleKinds = []string{ScheduleBackup, ScheduleCertificateCheck, ScheduleCertificateRenewal, ScheduleClusterHealth}

// AllClusters is the cluster of a schedule that runs on every Ready cluster.
const AllClusters = "*"

// OverlapSkip is the only overlap policy: a run due while the last still runs is skipped.
const OverlapSkip = "skip"

// Defaults and bounds of schedule settings.
const (
	DefaultRenewBeforeDays = 30
	DefaultRetention       = 7
	MinScheduleEvery       = time.Minute
	MaxScheduleJitter      = time.Hour
)

// Outcomes of a scheduled run.
const (
	RunSucceeded       = "Succeeded"
	RunFailed          = "Failed"
	RunPartiallyFailed = "PartiallyFailed"
	RunSkipped         = "Skipped" // nothing ran: no Ready cluster, or every one busy
)

// ScheduleParams are the settings of a kind, passed to each operation a run starts.
type ScheduleParams struct {
	// RenewBeforeDays: certificate-renewal renews when fewer days are left.
	RenewBeforeDays int `json:"renew_before_days,omitempty"`
	// Retention: backup keeps this many newest backups per cluster.
	Retention int `json:"retention,omitempty"`
}

// ScheduleInput is the body of POST /api/v1/schedules.
type ScheduleInput struct {
	Kind    string `json:"kind"`
	Cluster string `json:"cluster"`          // a cluster's name, or "*" for every Ready cluster
	Cron    string `json:"cron,omitempty"`   // five fields: minute hour day-of-month month day-of-week (UTC)
	Every   string `json:"every,omitempty"`  // a Go duration, at least 1m
	Jitter  string `json:"jitter,omitempty"` // a Go duration, at most 1h
	Overlap string `json:"overlap"`
	Paused  bool   `json:"paused"`
	ScheduleParams
}

// Schedule is a recorded schedule with its status.
type Schedule struct {
	ID string `json:"id"`
	ScheduleInput
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	// NextRuns are the next times Temporal will start a run (none while paused).
	NextRuns []time.Time  `json:"next_runs"`
	LastRun  *ScheduleRun `json:"last_run,omitempty"`
}

// ScheduleRun is what one run of a schedule did.
type ScheduleRun struct {
	Time       time.Time         `json:"time"` // when the run started
	FinishedAt time.Time         `json:"finished_at"`
	Outcome    string            `json:"outcome"`
	Operations []string          `json:"operations"` // ids of the operations it started
	Counts     RunCounts         `json:"counts"`
	Targets    []ScheduledTarget `json:"targets"`
}

// RunCounts counts the clusters of a run by what happened on them.
type RunCounts struct {
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	Skipped   int `json:"skipped"`
}

// ScheduledTarget is what a run did on one cluster.
type ScheduledTarget struct {
	Cluster   string `json:"cluster"`
	Operation string `json:"operation,omitempty"`
	Outcome   string `json:"outcome"` // Succeeded, Failed or Skipped
	Reason    string `json:"reason,omitempty"`
}

// Outcome is a run's outcome from its counts: Skipped when nothing ran, Failed when
// everything that ran failed, PartiallyFailed when some did.
func (c RunCounts) Outcome() string {
	switch {
	case c.Succeeded == 0 && c.Failed == 0:
		return RunSkipped
	case c.Failed == 0:
		return RunSucceeded
	case c.Succeeded == 0:
		return RunFailed
	}
	return RunPartiallyFailed
}

// Defaults fills what the request left out: overlap skip and the kind's parameters.
func (in *ScheduleInput) Defaults() {
	if in.Overlap == "" {
		in.Overlap = OverlapSkip
	}
	switch in.Kind {
	case ScheduleCertificateRenewal:
		if in.RenewBeforeDays == 0 {
			in.RenewBeforeDays = DefaultRenewBeforeDays
		}
	case ScheduleBackup:
		if in.Retention == 0 {
			in.Retention = DefaultRetention
		}
	}
}

// Validate checks the request, naming every bad field.
func (in *ScheduleInput) Validate() error {
	var v ValidationError
	switch {
	case in.Kind == "":
		v.Add("kind", "is required")
	case !slices.Contains(ScheduleKinds, in.Kind):
		v.Add("kind", "must be one of %s", strings.Join(ScheduleKinds, ", "))
	}
	if in.Cluster != AllClusters {
		checkName(&v, "cluster", in.Cluster)
	}
	switch {
	case in.Cron == "" && in.Every == "":
		v.Add("cron", "one of cron or every is required")
	case in.Cron != "" && in.Every != "":
		v.Add("every", "give cron or every, not both")
	case in.Cron != "":
		if err := ParseCron(in.Cron); err != nil {
			v.Add("cron", "%s", err.Error())
		}
	default:
		if d, err := time.ParseDuration(in.Every); err != nil || d < MinScheduleEvery {
			v.Add("every", "must be a duration such as 1h or 30m, at least %s", MinScheduleEvery)
		}
	}
	if in.Jitter != "" {
		if d, err := time.ParseDuration(in.Jitter); err != nil || d < 0 || d > MaxScheduleJitter {
			v.Add("jitter", "must be a duration from 0s to %s", MaxScheduleJitter)
		}
	}
	if in.Overlap != "" && in.Overlap != OverlapSkip {
		v.Add("overlap", "must be %s", OverlapSkip)
	}
	switch {
	case in.RenewBeforeDays != 0 && in.Kind != ScheduleCertificateRenewal:
		v.Add("renew_before_days", "is a setting of kind %s only", ScheduleCertificateRenewal)
	case in.RenewBeforeDays < 0 || in.RenewBeforeDays > 365:
		v.Add("renew_before_days", "must be from 1 to 365")
	}
	switch {
	case in.Retention != 0 && in.Kind != ScheduleBackup:
		v.Add("retention", "is a setting of kind %s only", ScheduleBackup)
	case in.Retention < 0 || in.Retention > 1000:
		v.Add("retention", "must be from 1 to 1000")
	}
	return v.Err()
}

// ParseCron checks a standard five-field cron expression (minute, hour, day of month,
// month, day of week); descriptors such as @daily and time zone prefixes are refused.
func ParseCron(expr string) error {
	if len(strings.Fields(expr)) != 5 {
		return cronError("must have five fields: minute hour day-of-month month day-of-week, e.g. \"0 3 * * *\"")
	}
	if _, err := cron.ParseStandard(expr); err != nil {
		return cronError("is not a valid cron expression: " + err.Error())
	}
	return nil
}

type cronError string

func (e cronError) Error() string { return string(e) }

// EveryDuration is the interval of an every schedule (0 for a cron one).
func (in ScheduleInput) EveryDuration() time.Duration {
	d, _ := time.ParseDuration(in.Every)
	return d
}

// JitterDuration is the schedule's jitter (0 when unset).
func (in ScheduleInput) JitterDuration() time.Duration {
	d, _ := time.ParseDuration(in.Jitter)
	return d
}
