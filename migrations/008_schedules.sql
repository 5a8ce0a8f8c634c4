-- Day-2 schedules (issue 10): the inventory is the record of each schedule; Temporal holds
-- the schedule itself (id "schedule/<id>"), kept in step by a reconcile at start.

CREATE TABLE schedules (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind              text NOT NULL,                -- domain.ScheduleKinds
    cluster           text NOT NULL,                -- a cluster's name, or '*' for every Ready cluster
    cron              text NOT NULL DEFAULT '',     -- exactly one of cron and every is set
    every             text NOT NULL DEFAULT '',
    jitter            text NOT NULL DEFAULT '',
    overlap           text NOT NULL DEFAULT 'skip',
    renew_before_days integer NOT NULL DEFAULT 0,   -- certificate-renewal only
    retention         integer NOT NULL DEFAULT 0,   -- backup only
    paused            boolean NOT NULL DEFAULT false,
    created_by        text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    last_run          jsonb,                        -- domain.ScheduleRun of the latest run
    CHECK ((cron = '') <> (every = ''))
);
CREATE INDEX schedules_cluster ON schedules (cluster);
CREATE INDEX schedules_created ON schedules (created_at, id);

---- create above / drop below ----

DROP TABLE schedules;
