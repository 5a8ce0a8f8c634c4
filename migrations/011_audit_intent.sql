-- The audit trail cannot be dodged (issue 12): a mutating request's audit event is written
-- before the request runs, as 'pending', and completed once with its outcome after it. A
-- request whose event cannot be written is refused. The log stays append-only otherwise:
-- only a pending event may change, once, and only in its outcome, status, target and
-- detail.

ALTER TABLE audit_events DROP CONSTRAINT audit_events_outcome_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_outcome_check
    CHECK (outcome IN ('pending', 'success', 'failure', 'denied'));

CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.outcome = 'pending' AND NEW.outcome <> 'pending'
        AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.actor = OLD.actor
        AND NEW.action = OLD.action AND NEW.request_id = OLD.request_id THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;

---- create above / drop below ----

-- Events still pending are calls whose end was not recorded: failures, for the old schema.
UPDATE audit_events SET outcome = 'failure' WHERE outcome = 'pending';
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
ALTER TABLE audit_events DROP CONSTRAINT audit_events_outcome_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_outcome_check
    CHECK (outcome IN ('success', 'failure', 'denied'));
