-- Health and drift (issue 10): the cluster-health schedule sets a cluster Degraded (the API
-- server answers but something else is wrong) or Unreachable (it does not answer).

ALTER TABLE clusters DROP CONSTRAINT clusters_phase_check;
ALTER TABLE clusters ADD CONSTRAINT clusters_phase_check
    CHECK (phase IN ('Pending', 'Provisioning', 'Ready', 'Degraded', 'Unreachable', 'Updating', 'Deleting', 'Failed', 'Deleted'));

---- create above / drop below ----

UPDATE clusters SET phase = 'Ready' WHERE phase IN ('Degraded', 'Unreachable');
ALTER TABLE clusters DROP CONSTRAINT clusters_phase_check;
ALTER TABLE clusters ADD CONSTRAINT clusters_phase_check
    CHECK (phase IN ('Pending', 'Provisioning', 'Ready', 'Updating', 'Deleting', 'Failed', 'Deleted'));
