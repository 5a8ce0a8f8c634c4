-- Clusterwright inventory and audit log, first version.

CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text NOT NULL UNIQUE,
    role         text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    token_hash   bytea NOT NULL UNIQUE,          -- SHA-256 of the token; the token itself is never stored
    created_by   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

CREATE TABLE vcenters (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name            text NOT NULL UNIQUE,
    server          text NOT NULL,
    username        text NOT NULL,
    password_sealed bytea NOT NULL,              -- secrets.Keyring envelope, aad "vcenter:<id>:password"
    insecure        boolean NOT NULL DEFAULT false,
    thumbprint      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    synced_at       timestamptz,
    sync_error      text NOT NULL DEFAULT ''
);

CREATE TABLE inventory_objects (
    vcenter_id uuid NOT NULL REFERENCES vcenters (id) ON DELETE CASCADE,
    kind       text NOT NULL,
    moref      text NOT NULL,
    name       text NOT NULL,
    path       text NOT NULL,
    datacenter text NOT NULL DEFAULT '',
    parent     text NOT NULL DEFAULT '',
    attrs      jsonb NOT NULL DEFAULT '{}',
    synced_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (vcenter_id, kind, moref)
);
CREATE INDEX inventory_objects_by_name ON inventory_objects (vcenter_id, kind, name);

CREATE TABLE ip_pools (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL UNIQUE,
    cidr        cidr NOT NULL,
    range_start inet NOT NULL,
    range_end   inet NOT NULL,
    gateway     inet,
    dns         text[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (range_start <= range_end),
    CHECK (range_start << cidr AND range_end << cidr)
);

CREATE TABLE clusters (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                   text NOT NULL,
    vcenter_id             uuid REFERENCES vcenters (id),
    spec                   jsonb NOT NULL,
    phase                  text NOT NULL DEFAULT 'Pending'
                           CHECK (phase IN ('Pending', 'Provisioning', 'Ready', 'Updating', 'Deleting', 'Failed', 'Deleted')),
    phase_reason           text NOT NULL DEFAULT '',
    control_plane_endpoint text NOT NULL DEFAULT '',
    created_by             text NOT NULL DEFAULT '',
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    deleted_at             timestamptz
);
-- A name is taken while its cluster exists; a deleted cluster's name can be reused.
CREATE UNIQUE INDEX clusters_live_name ON clusters (name) WHERE deleted_at IS NULL;
CREATE INDEX clusters_by_name_id ON clusters (name, id);

CREATE TABLE ip_leases (
    pool_id    uuid NOT NULL REFERENCES ip_pools (id) ON DELETE RESTRICT,
    address    inet NOT NULL,
    cluster_id uuid REFERENCES clusters (id) ON DELETE CASCADE,
    owner      text NOT NULL,                    -- what holds it, e.g. the node name
    leased_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pool_id, address),
    UNIQUE (pool_id, owner)
);

CREATE TABLE nodes (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cluster_id      uuid NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    name            text NOT NULL,
    role            text NOT NULL CHECK (role IN ('control-plane', 'worker')),
    pool            text NOT NULL DEFAULT '',
    ip              inet,
    vm_moref        text NOT NULL DEFAULT '',
    vm_uuid         text NOT NULL DEFAULT '',
    kubelet_version text NOT NULL DEFAULT '',
    ready           boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (cluster_id, name)
);

CREATE TABLE operations (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind        text NOT NULL,
    target_kind text NOT NULL,                   -- vcenter, cluster, clusterset, ...
    target_id   uuid,
    target_name text NOT NULL,
    actor       text NOT NULL,
    request_id  text NOT NULL DEFAULT '',
    state       text NOT NULL DEFAULT 'Running'
                CHECK (state IN ('Pending', 'Running', 'Succeeded', 'Failed', 'Canceled')),
    workflow_id text NOT NULL,
    run_id      text NOT NULL DEFAULT '',
    error       text NOT NULL DEFAULT '',
    params      jsonb NOT NULL DEFAULT '{}',    -- non-secret parameters, for display
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX operations_by_created ON operations (created_at DESC, id DESC);
CREATE INDEX operations_by_target ON operations (target_kind, target_name, created_at DESC);
CREATE INDEX operations_by_workflow ON operations (workflow_id);
-- At most one running operation per workflow id, i.e. per target.
CREATE UNIQUE INDEX operations_one_running ON operations (workflow_id) WHERE state IN ('Pending', 'Running');

CREATE TABLE operation_steps (
    operation_id uuid NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    seq          integer NOT NULL,
    name         text NOT NULL,
    state        text NOT NULL CHECK (state IN ('Pending', 'Running', 'Succeeded', 'Failed', 'Canceled', 'Skipped')),
    attempts     integer NOT NULL DEFAULT 0,
    started_at   timestamptz,
    finished_at  timestamptz,
    error        text NOT NULL DEFAULT '',
    PRIMARY KEY (operation_id, seq),
    UNIQUE (operation_id, name)
);

CREATE TABLE audit_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    action     text NOT NULL,                    -- e.g. vcenter.create, cluster.delete
    target     text NOT NULL DEFAULT '',
    request_id text NOT NULL DEFAULT '',
    outcome    text NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    status     integer NOT NULL DEFAULT 0,       -- HTTP status of the call
    detail     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_by_at ON audit_events (at DESC, id DESC);

-- The audit log is append-only: no row may be changed or removed.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

---- create above / drop below ----

DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only();
DROP TABLE operation_steps;
DROP TABLE operations;
DROP TABLE nodes;
DROP TABLE ip_leases;
DROP TABLE clusters;
DROP TABLE ip_pools;
DROP TABLE inventory_objects;
DROP TABLE vcenters;
DROP TABLE api_tokens;
