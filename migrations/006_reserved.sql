-- Placeholder for migration 006, which another change takes (etcd backups, issue 10).
-- It keeps the sequence gapless on a branch without that change; drop this file when
-- merging with the real 006.

SELECT 1;

---- create above / drop below ----

SELECT 1;
