-- Quota reservations (issue 13): an operation that adds nodes its cluster's spec does
-- not count yet (a scale up, until it records the pool; a node replacement's new VM,
-- which joins before the old one goes) reserves them of its project's quotas while it
-- is active (Pending, Running, AwaitingDecision). The quota check sums a project's live
-- clusters' specs and the reservations of its active operations under the project's row
-- lock, so two requests cannot both take the same room.
--
-- reserved is a domain.Resources object ({"clusters", "vcpus", "memory_mib", "disk_gib",
-- "nodes"}), NULL when the operation reserves nothing, or no longer: a scale gives its
-- reservation up in the transaction that records its pool in the spec, which counts the
-- nodes from then on. Otherwise it is kept after the operation ends, for the record;
-- only active operations count.

ALTER TABLE operations ADD COLUMN reserved jsonb
    CHECK (reserved IS NULL OR jsonb_typeof(reserved) = 'object');
CREATE INDEX operations_active_reservations ON operations (project_id)
    WHERE reserved IS NOT NULL AND state IN ('Pending', 'Running', 'AwaitingDecision');

---- create above / drop below ----

DROP INDEX operations_active_reservations;
ALTER TABLE operations DROP COLUMN reserved;
