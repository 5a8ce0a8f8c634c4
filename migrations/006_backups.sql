-- etcd backups of clusters (issue 10): one row per backup, written by the backup
-- activity when the encrypted snapshot and PKI are at the target. The row names where the
-- objects are (never a credential of the target), what they hold and which key encrypts
-- them. Retention marks old backups Deleted after removing their objects.

CREATE TABLE backups (
    id                  uuid PRIMARY KEY,                 -- given by the caller: a retried backup is the same row
    cluster_id          uuid NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    created_at          timestamptz NOT NULL DEFAULT now(),
    state               text NOT NULL CHECK (state IN ('Completed', 'Deleted')),
    deleted_at          timestamptz,
    target_kind         text NOT NULL CHECK (target_kind IN ('directory', 's3', 'vsphere')),
    target_location     text NOT NULL,                    -- directory path, s3://bucket/prefix at an endpoint, [datastore] folder
    object_key          text NOT NULL,                    -- the encrypted etcd snapshot, relative to the target
    size_bytes          bigint NOT NULL,                  -- of the encrypted snapshot object
    sha256              text NOT NULL,                    -- hex, of the encrypted snapshot object
    snapshot_size_bytes bigint NOT NULL,                  -- of the plain snapshot
    snapshot_sha256     text NOT NULL,                    -- hex, of the plain snapshot
    etcd_revision       bigint NOT NULL,
    etcd_hash           bigint NOT NULL DEFAULT 0,        -- as etcdutl snapshot status prints it
    kubernetes_version  text NOT NULL DEFAULT '',
    node                text NOT NULL,                    -- the control-plane node the snapshot was taken on
    encryption          text NOT NULL,                    -- scheme, e.g. age-scrypt-v1
    key_id              text NOT NULL,                    -- public id of the key the objects are encrypted to
    pki_object_key      text NOT NULL DEFAULT '',         -- the encrypted tar.gz of /etc/kubernetes/pki
    pki_size_bytes      bigint NOT NULL DEFAULT 0,
    pki_sha256          text NOT NULL DEFAULT '',
    operation_id        uuid REFERENCES operations (id) ON DELETE SET NULL
);

CREATE INDEX backups_cluster_newest ON backups (cluster_id, created_at DESC, id DESC);

---- create above / drop below ----

DROP TABLE backups;
