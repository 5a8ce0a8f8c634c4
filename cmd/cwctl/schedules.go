package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
	"github.com/clusterwright/clusterwright/domain"
)

func schedulesCommand(s *session) *cobra.Command {
	return group("schedules", "Day-2 schedules: backups, certificate checks and renewals on a timetable",
		listSchedulesCommand(s),
		s.printing(&cobra.Command{Use: "get ID", Short: "show one schedule: its next runs and what its last run did",
			Args: exactArgs(1), RunE: s.run(getSchedule)}),
		createScheduleCommand(s),
		scheduleAction(s, "pause", "pause a schedule: no run starts by itself until it is unpaused", "paused"),
		scheduleAction(s, "unpause", "unpause a schedule: runs start again at their times", "unpaused"),
		scheduleAction(s, "trigger", "run a schedule now (even while paused); its outcome shows as its last run", "triggered"),
		&cobra.Command{Use: "delete ID", Short: "delete a schedule (a run in progress goes on to its end)",
			Args: exactArgs(1), RunE: s.run(deleteSchedule)},
	)
}

func listSchedulesCommand(s *session) *cobra.Command {
	var cluster, kind string
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "list schedules: kind, cluster, when, next run, last outcome",
		Example: "  cwctl schedules list\n  cwctl schedules list --cluster '*' --kind backup",
		Args:    noArgs,
		RunE: s.run(func(ctx context.Context, s *session, _ []string) error {
			q := url.Values{}
			if cluster != "" {
				q.Set("cluster", cluster)
			}
			if kind != "" {
				q.Set("kind", kind)
			}
			list, raw, err := listAll[domain.Schedule](ctx, s, client.Path("schedules"), q)
			if err != nil {
				return err
			}
			if s.structured() {
				return s.printReply(raw)
			}
			t := newTable(s.stdout, "ID", "KIND", "CLUSTER", "WHEN", "PAUSED", "NEXT RUN", "LAST RUN", "OUTCOME")
			for _, sc := range list {
				next, last, outcome := "", "", ""
				if len(sc.NextRuns) > 0 {
					next = timestamp(sc.NextRuns[0])
				}
				if sc.LastRun != nil {
					last, outcome = timestamp(sc.LastRun.Time), sc.LastRun.Outcome
				}
				t.row(sc.ID, sc.Kind, sc.Cluster, when(sc), yesNo(sc.Paused), next, last, outcome)
			}
			t.flush()
			return nil
		}),
	}
	cmd.Flags().StringVar(&cluster, "cluster", "", "only the schedules of this `CLUSTER` ('*': those of every cluster)")
	cmd.Flags().StringVar(&kind, "kind", "", "only the schedules of this `KIND`")
	return s.printing(cmd)
}

// when is a schedule's timetable as a person reads it.
func when(sc domain.Schedule) string {
	w := "cron " + sc.Cron
	if sc.Every != "" {
		w = "every " + sc.Every
	}
	if sc.Jitter != "" {
		w += " ±" + sc.Jitter
	}
	return w
}

func getSchedule(ctx context.Context, s *session, args []string) error {
	var sc domain.Schedule
	raw, err := getJSON(ctx, s, client.Path("schedules", args[0]), nil, &sc)
	if err != nil {
		return err
	}
	if s.structured() {
		return s.printReply(raw)
	}
	printSchedule(s, sc)
	return nil
}

// printSchedule shows a schedule, then what its last run did on each cluster.
func printSchedule(s *session, sc domain.Schedule) {
	next := ""
	if len(sc.NextRuns) > 0 {
		next = timestamp(sc.NextRuns[0])
	}
	settings := ""
	switch {
	case sc.Retention > 0:
		settings = fmt.Sprintf("retention %d", sc.Retention)
	case sc.RenewBeforeDays > 0:
		settings = fmt.Sprintf("renew before %d days", sc.RenewBeforeDays)
	}
	kv := []string{"id", sc.ID, "kind", sc.Kind, "cluster", sc.Cluster, "when", when(sc), "settings", settings,
		"paused", yesNo(sc.Paused), "next run", next, "created", timestamp(sc.CreatedAt) + " by " + sc.CreatedBy}
	run := sc.LastRun
	if run != nil {
		kv = append(kv, "last run", timestamp(run.Time)+" "+run.Outcome,
			"counts", fmt.Sprintf("%d succeeded, %d failed, %d skipped", run.Counts.Succeeded, run.Counts.Failed, run.Counts.Skipped))
	}
	fields(s.stdout, kv...)
	if run == nil || len(run.Targets) == 0 {
		return
	}
	fmt.Fprintln(s.stdout)
	t := newTable(s.stdout, "CLUSTER", "OUTCOME", "OPERATION", "REASON")
	for _, target := range run.Targets {
		t.row(target.Cluster, target.Outcome, target.Operation, target.Reason)
	}
	t.flush()
}

// scheduleExample is the example of `schedules create`.
const scheduleExample = `  # nightly.yaml: back up every Ready cluster at 03:00 UTC, keep 14
  kind: backup                 # or certificate-check, certificate-renewal, cluster-health
  cluster: "*"                 # or a cluster's name
  cron: "0 3 * * *"            # or every: 6h (at least 1m)
  jitter: 10m                  # optional
  retention: 14                # backup only (default 7)
  # renew_before_days: 30      # certificate-renewal only (default 30)

  cwctl schedules create -f nightly.yaml`

func createScheduleCommand(s *session) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:     "create",
		Short:   "create a schedule from a YAML or JSON file",
		Example: scheduleExample,
		Args:    noArgs,
		RunE: s.run(func(ctx context.Context, s *session, _ []string) error {
			body, err := readInput(file)
			if err != nil {
				return err
			}
			return scheduleReply(ctx, s, "POST", client.Path("schedules"), body, "created")
		}),
	}
	fileFlag(cmd, &file, "the schedule")
	return s.printing(cmd)
}

// scheduleAction is `schedules pause|unpause|trigger ID`.
func scheduleAction(s *session, action, short, done string) *cobra.Command {
	return s.printing(&cobra.Command{Use: action + " ID", Short: short, Args: exactArgs(1),
		RunE: s.run(func(ctx context.Context, s *session, args []string) error {
			return scheduleReply(ctx, s, "POST", client.Path("schedules", args[0], action), nil, done)
		})})
}

// scheduleReply sends a request whose reply is a schedule and shows it.
func scheduleReply(ctx context.Context, s *session, method, path string, body []byte, done string) error {
	resp, err := s.api.Do(ctx, method, path, nil, body)
	if err != nil {
		return err
	}
	if s.structured() {
		return s.printReply(resp.Body)
	}
	var sc domain.Schedule
	if err := json.Unmarshal(resp.Body, &sc); err != nil {
		return fmt.Errorf("%s %s: unexpected reply: %w", method, path, err)
	}
	fmt.Fprintf(s.stdout, "schedule %s %s\n", sc.ID, done)
	printSchedule(s, sc)
	return nil
}

func deleteSchedule(ctx context.Context, s *session, args []string) error {
	if _, err := s.api.Do(ctx, "DELETE", client.Path("schedules", args[0]), nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(s.stdout, "schedule %s deleted\n", args[0])
	return nil
}
