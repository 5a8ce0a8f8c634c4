-- Principals (issue 13): API tokens are owned by a project or by a person, and expire;
-- operations and audit events carry the project they belong to, and audit events the
-- person (sign-in subject and e-mail) who acted.
--
-- Tokens: project_id NULL is a platform-wide token, whose role holds in every project;
-- otherwise the token acts only inside that project, with its role there. owner_subject,
-- when set, makes the token a person's own (what `cwctl login` keeps): it acts as that
-- person, with their memberships. Existing admin tokens stay platform-wide (platform
-- admins); existing operator and viewer tokens move into the default project, where
-- every existing cluster is.

ALTER TABLE api_tokens
    ADD COLUMN project_id    uuid REFERENCES projects (id),
    ADD COLUMN owner_subject text NOT NULL DEFAULT '',
    ADD COLUMN owner_email   text NOT NULL DEFAULT '',
    ADD COLUMN expires_at    timestamptz;
UPDATE api_tokens SET project_id = '00000000-0000-0000-0000-000000000001' WHERE role <> 'admin';
CREATE INDEX api_tokens_by_project ON api_tokens (project_id) WHERE revoked_at IS NULL;

-- An operation belongs to the project of its target (a cluster or a ClusterSet); one
-- on a vCenter belongs to none (NULL: the platform's). Set on insert by a trigger, so
-- that every path that starts an operation records it.
ALTER TABLE operations ADD COLUMN project_id uuid REFERENCES projects (id);
UPDATE operations o SET project_id = c.project_id FROM clusters c
    WHERE o.target_kind = 'cluster' AND o.target_id = c.id;
UPDATE operations o SET project_id = s.project_id FROM clustersets s
    WHERE o.target_kind = 'clusterset' AND o.target_id = s.id;
CREATE INDEX operations_by_project ON operations (project_id, created_at DESC, id DESC);

CREATE FUNCTION operation_project() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.project_id IS NULL AND NEW.target_id IS NOT NULL THEN
        IF NEW.target_kind = 'cluster' THEN
            SELECT project_id INTO NEW.project_id FROM clusters WHERE id = NEW.target_id;
        ELSIF NEW.target_kind = 'clusterset' THEN
            SELECT project_id INTO NEW.project_id FROM clustersets WHERE id = NEW.target_id;
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER operations_project BEFORE INSERT ON operations
    FOR EACH ROW EXECUTE FUNCTION operation_project();

-- Audit events: the person behind the actor, and the project of the target (by name, as
-- the log outlives projects). A pending event may gain its project when it completes,
-- as it gains its target.
ALTER TABLE audit_events
    ADD COLUMN subject text NOT NULL DEFAULT '',
    ADD COLUMN email   text NOT NULL DEFAULT '',
    ADD COLUMN project text NOT NULL DEFAULT '';
CREATE INDEX audit_events_by_project ON audit_events (project, at DESC, id DESC);

CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.outcome = 'pending' AND NEW.outcome <> 'pending'
        AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.actor = OLD.actor
        AND NEW.action = OLD.action AND NEW.request_id = OLD.request_id
        AND NEW.subject = OLD.subject AND NEW.email = OLD.email THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;

---- create above / drop below ----

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
DROP INDEX audit_events_by_project;
ALTER TABLE audit_events DROP COLUMN subject, DROP COLUMN email, DROP COLUMN project;
DROP TRIGGER operations_project ON operations;
DROP FUNCTION operation_project();
DROP INDEX operations_by_project;
ALTER TABLE operations DROP COLUMN project_id;
DROP INDEX api_tokens_by_project;
ALTER TABLE api_tokens DROP COLUMN project_id, DROP COLUMN owner_subject, DROP COLUMN owner_email, DROP COLUMN expires_at;
