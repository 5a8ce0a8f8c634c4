-- Operations that wait for a person (issue 8): the AwaitingDecision state and what it
-- waits for, the request's failure policy, every run and attempt of every step, and the
-- durable per-operation event log that event streams resume from.

ALTER TABLE operations DROP CONSTRAINT operations_state_check;
ALTER TABLE operations ADD CONSTRAINT operations_state_check
    CHECK (state IN ('Pending', 'Running', 'AwaitingDecision', 'Succeeded', 'Failed', 'Canceled'));
DROP INDEX operations_one_running;
CREATE UNIQUE INDEX operations_one_running ON operations (workflow_id)
    WHERE state IN ('Pending', 'Running', 'AwaitingDecision');
-- The active operation of a cluster, shown with the cluster.
CREATE INDEX operations_active_by_target ON operations (target_id)
    WHERE state IN ('Pending', 'Running', 'AwaitingDecision');

ALTER TABLE operations
    ADD COLUMN on_failure        text NOT NULL DEFAULT 'wait' CHECK (on_failure IN ('wait', 'compensate')),
    ADD COLUMN decision_timeout  text NOT NULL DEFAULT '',     -- Go duration, as requested
    ADD COLUMN decision_step     text NOT NULL DEFAULT '',     -- set while AwaitingDecision
    ADD COLUMN decision_reason   text NOT NULL DEFAULT '',
    ADD COLUMN decision_since    timestamptz,
    ADD COLUMN decision_deadline timestamptz,
    ADD COLUMN event_seq         integer NOT NULL DEFAULT 0;  -- number of the operation's last event

-- Each run of a step: the first, and one per retry by a person (actor).
CREATE TABLE operation_step_runs (
    operation_id uuid NOT NULL,
    step         text NOT NULL,
    run          integer NOT NULL CHECK (run > 0),
    state        text NOT NULL CHECK (state IN ('Running', 'Succeeded', 'Failed', 'Canceled', 'Skipped')),
    actor        text NOT NULL DEFAULT '',
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    error        text NOT NULL DEFAULT '',
    PRIMARY KEY (operation_id, step, run),
    FOREIGN KEY (operation_id, step) REFERENCES operation_steps (operation_id, name) ON DELETE CASCADE
);

-- Each automatic attempt within a run: the attempt-th try of the step's activities.
-- active counts the activities of the attempt still running; failed is set once any
-- of them failed.
CREATE TABLE operation_step_attempts (
    operation_id uuid NOT NULL,
    step         text NOT NULL,
    run          integer NOT NULL,
    attempt      integer NOT NULL CHECK (attempt > 0),
    active       integer NOT NULL DEFAULT 0,
    failed       boolean NOT NULL DEFAULT false,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    error        text NOT NULL DEFAULT '',
    PRIMARY KEY (operation_id, step, run, attempt),
    FOREIGN KEY (operation_id, step, run) REFERENCES operation_step_runs (operation_id, step, run) ON DELETE CASCADE
);

-- Every change of an operation, numbered per operation without gaps (the operation
-- row's event_seq is taken under its row lock, so events commit in number order).
CREATE TABLE operation_events (
    operation_id uuid NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    seq          integer NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('operation', 'step')),
    data         json NOT NULL,                -- kept as written: sent as is
    at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (operation_id, seq)
);

-- Steps recorded before this migration had one run.
INSERT INTO operation_step_runs (operation_id, step, run, state, started_at, finished_at, error)
SELECT operation_id, name, 1, CASE WHEN state = 'Pending' THEN 'Running' ELSE state END,
       coalesce(started_at, now()), finished_at, error
FROM operation_steps;

---- create above / drop below ----

DROP TABLE operation_events;
DROP TABLE operation_step_attempts;
DROP TABLE operation_step_runs;
ALTER TABLE operations
    DROP COLUMN event_seq,
    DROP COLUMN decision_deadline,
    DROP COLUMN decision_since,
    DROP COLUMN decision_reason,
    DROP COLUMN decision_step,
    DROP COLUMN decision_timeout,
    DROP COLUMN on_failure;
DROP INDEX operations_active_by_target;
DROP INDEX operations_one_running;
UPDATE operations SET state = 'Failed', error = 'awaited a decision when the schema was downgraded'
    WHERE state = 'AwaitingDecision';
ALTER TABLE operations DROP CONSTRAINT operations_state_check;
ALTER TABLE operations ADD CONSTRAINT operations_state_check
    CHECK (state IN ('Pending', 'Running', 'Succeeded', 'Failed', 'Canceled'));
CREATE UNIQUE INDEX operations_one_running ON operations (workflow_id) WHERE state IN ('Pending', 'Running');
