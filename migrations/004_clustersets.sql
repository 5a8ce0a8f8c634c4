-- ClusterSets (issue 9): Antrea Multi-cluster sets of clusters and their members. A
-- cluster is in at most one set.

CREATE TABLE clustersets (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name              text NOT NULL,                -- the Antrea ClusterSet ID
    leader_cluster_id uuid NOT NULL REFERENCES clusters (id),
    spec              jsonb NOT NULL,               -- domain.ClusterSetSpec, kept current by joins and leaves
    phase             text NOT NULL DEFAULT 'Pending'
                      CHECK (phase IN ('Pending', 'Forming', 'Ready', 'Degraded', 'Updating', 'Disbanding', 'Failed')),
    phase_reason      text NOT NULL DEFAULT '',
    created_by        text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz                   -- disbanded
);
-- A name is taken while its set exists; a disbanded set's name can be reused.
CREATE UNIQUE INDEX clustersets_live_name ON clustersets (name) WHERE deleted_at IS NULL;

CREATE TABLE clusterset_members (
    clusterset_id      uuid NOT NULL REFERENCES clustersets (id) ON DELETE CASCADE,
    cluster_id         uuid NOT NULL UNIQUE REFERENCES clusters (id) ON DELETE CASCADE, -- in one set at most
    leader             boolean NOT NULL DEFAULT false,
    state              text NOT NULL DEFAULT 'Joining' CHECK (state IN ('Joining', 'Joined', 'Leaving', 'Failed')),
    ready              boolean NOT NULL DEFAULT false,
    message            text NOT NULL DEFAULT '',
    gateway_active     text NOT NULL DEFAULT '',  -- the node of the member's active Antrea Gateway
    gateway_candidates text[] NOT NULL DEFAULT '{}',
    imports            text[] NOT NULL DEFAULT '{}', -- clusters whose ClusterInfoImport the member has
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (clusterset_id, cluster_id)
);
CREATE UNIQUE INDEX clusterset_members_one_leader ON clusterset_members (clusterset_id) WHERE leader;

---- create above / drop below ----

DROP TABLE clusterset_members;
DROP TABLE clustersets;
