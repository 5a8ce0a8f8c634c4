-- SSH host keys of nodes (issue 10), pinned at the service's first contact with each node:
-- a later contact that is presented another key is refused until the key is forgotten
-- explicitly (the node was replaced).

CREATE TABLE node_host_keys (
    cluster_id     uuid NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    node           text NOT NULL,            -- the node's name in the cluster
    address        text NOT NULL,            -- host:port the key was first seen at
    key_type       text NOT NULL,            -- e.g. ssh-ed25519
    fingerprint    text NOT NULL,            -- SHA256:<base64>, as ssh-keygen -l prints it
    authorized_key text NOT NULL,            -- "<type> <base64>", the key itself
    first_seen     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cluster_id, node)
);

---- create above / drop below ----

DROP TABLE node_host_keys;
