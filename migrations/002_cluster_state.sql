-- What provisioning records about a cluster besides its spec: its secrets (sealed), its
-- add-ons, and the expiry of its certificates.

CREATE TABLE cluster_secrets (
    cluster_id uuid NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    name       text NOT NULL,                    -- e.g. pki/ca.key, admin.conf, ssh/id_ed25519
    sealed     bytea NOT NULL,                   -- secrets.Keyring envelope, aad "cluster:<id>:<name>"
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cluster_id, name)
);

CREATE TABLE cluster_addons (
    cluster_id    uuid NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    name          text NOT NULL,                 -- antrea, vsphere-cpi, vsphere-csi, kubesphere
    chart         text NOT NULL,
    chart_version text NOT NULL DEFAULT '',
    status        text NOT NULL DEFAULT '',      -- Helm release status: deployed, failed, ...
    message       text NOT NULL DEFAULT '',
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cluster_id, name)
);

ALTER TABLE clusters ADD COLUMN certificate_expiry timestamptz;
ALTER TABLE nodes ADD COLUMN vm_name text NOT NULL DEFAULT '';

---- create above / drop below ----

ALTER TABLE nodes DROP COLUMN vm_name;
ALTER TABLE clusters DROP COLUMN certificate_expiry;
DROP TABLE cluster_addons;
DROP TABLE cluster_secrets;
