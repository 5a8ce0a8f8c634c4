-- Projects (issue 13): every cluster and ClusterSet belongs to one project, which has
-- members with a role in it, quotas, and the vCenters, IP pools and placements its
-- clusters may use.
--
-- Allow-lists are explicit: an empty list allows nothing, '{*}' allows everything.
-- Quotas are NULL for no limit. Projects are deleted softly, like clusters and
-- ClusterSets, so that the records of deleted clusters keep the project they were in;
-- a deleted project's name can be reused, and its members are removed with it.
--
-- Existing clusters and ClusterSets move into the well-known project 'default' (fixed id
-- 00000000-0000-0000-0000-000000000001), which allows everything, has no quota and
-- cannot be deleted. It is also the DEFAULT of clusters.project_id and
-- clustersets.project_id, so that code inserting rows without a project keeps working
-- and puts them there.

CREATE TABLE projects (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name             text NOT NULL,
    description      text NOT NULL DEFAULT '',
    quota_clusters   bigint CHECK (quota_clusters >= 0),   -- NULL: no limit
    quota_vcpus      bigint CHECK (quota_vcpus >= 0),
    quota_memory_mib bigint CHECK (quota_memory_mib >= 0),
    quota_disk_gib   bigint CHECK (quota_disk_gib >= 0),
    quota_nodes      bigint CHECK (quota_nodes >= 0),
    vcenters         text[] NOT NULL DEFAULT '{}',          -- vCenter names, or {*}
    ip_pools         text[] NOT NULL DEFAULT '{}',          -- IP pool names, or {*}
    placements       jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(placements) = 'array'), -- [domain.PlacementScope]
    created_by       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz,
    CONSTRAINT projects_default_stays
        CHECK (id <> '00000000-0000-0000-0000-000000000001' OR (name = 'default' AND deleted_at IS NULL))
);
-- A name is taken while its project exists; a deleted project's name can be reused.
CREATE UNIQUE INDEX projects_live_name ON projects (name) WHERE deleted_at IS NULL;

CREATE TABLE project_members (
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('person', 'token')),
    subject    text NOT NULL CHECK (subject <> ''),     -- a person's sign-in subject, or a token's name
    role       text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, kind, subject)
);
CREATE INDEX project_members_by_subject ON project_members (kind, subject);

INSERT INTO projects (id, name, description, vcenters, ip_pools, placements, created_by)
VALUES ('00000000-0000-0000-0000-000000000001', 'default',
        'Clusters and ClusterSets that existed before projects, and those created without a project.',
        '{*}', '{*}', '[{"vcenter": "*", "datacenter": "*", "compute_cluster": "*"}]', 'system');

ALTER TABLE clusters
    ADD COLUMN project_id uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001' REFERENCES projects (id);
ALTER TABLE clustersets
    ADD COLUMN project_id uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001' REFERENCES projects (id);
CREATE INDEX clusters_live_by_project ON clusters (project_id) WHERE deleted_at IS NULL;
CREATE INDEX clustersets_live_by_project ON clustersets (project_id) WHERE deleted_at IS NULL;

-- A live cluster or ClusterSet goes only into a live project. The share lock waits for a
-- project being deleted (which holds its row FOR UPDATE while it counts what the project
-- holds) and then sees it deleted, so that a delete and a create cannot pass each other.
CREATE FUNCTION project_must_be_live() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.deleted_at IS NOT NULL OR NEW.project_id = '00000000-0000-0000-0000-000000000001' THEN
        RETURN NEW;
    END IF;
    PERFORM 1 FROM projects WHERE id = NEW.project_id AND deleted_at IS NULL FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'project % is deleted', NEW.project_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER clusters_project_live BEFORE INSERT OR UPDATE OF project_id ON clusters
    FOR EACH ROW EXECUTE FUNCTION project_must_be_live();
CREATE TRIGGER clustersets_project_live BEFORE INSERT OR UPDATE OF project_id ON clustersets
    FOR EACH ROW EXECUTE FUNCTION project_must_be_live();

---- create above / drop below ----

DROP TRIGGER clustersets_project_live ON clustersets;
DROP TRIGGER clusters_project_live ON clusters;
DROP FUNCTION project_must_be_live();
ALTER TABLE clustersets DROP COLUMN project_id;
ALTER TABLE clusters DROP COLUMN project_id;
DROP TABLE project_members;
DROP TABLE projects;
