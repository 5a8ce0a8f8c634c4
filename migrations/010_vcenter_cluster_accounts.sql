-- vCenter accounts for the clusters (issue 12): a second, least-privileged account that
-- workload clusters' vSphere CPI and CSI drivers get instead of the service's own.
--
-- Existing registrations are marked as sharing the service account: their clusters hold
-- it in their Secrets already, and refusing it now would break every add-on upgrade and
-- new provision on them. GET /api/v1/vcenters shows the sharing as a warning, and a PATCH
-- with cluster_credentials ends it (and rewrites the clusters' Secrets). New
-- registrations share only when they say so.

ALTER TABLE vcenters
    ADD COLUMN cluster_username        text NOT NULL DEFAULT '',
    ADD COLUMN cluster_password_sealed bytea,        -- aad "vcenter:<id>:cluster-password"
    ADD COLUMN share_service_account   boolean NOT NULL DEFAULT true;
ALTER TABLE vcenters ALTER COLUMN share_service_account SET DEFAULT false;
ALTER TABLE vcenters ADD CONSTRAINT vcenters_cluster_account_whole
    CHECK ((cluster_username = '') = (cluster_password_sealed IS NULL));
ALTER TABLE vcenters ADD CONSTRAINT vcenters_cluster_account_or_share
    CHECK (NOT (share_service_account AND cluster_username <> ''));

---- create above / drop below ----

ALTER TABLE vcenters DROP CONSTRAINT vcenters_cluster_account_or_share;
ALTER TABLE vcenters DROP CONSTRAINT vcenters_cluster_account_whole;
ALTER TABLE vcenters DROP COLUMN share_service_account;
ALTER TABLE vcenters DROP COLUMN cluster_password_sealed;
ALTER TABLE vcenters DROP COLUMN cluster_username;
