-- Placeholder holding this number for a migration of another branch (issue 10: backups,
-- certificates), so that 008_schedules.sql applies on this branch. Delete this file when
-- that branch's migration of the same number is merged.

SELECT 1;

---- create above / drop below ----

SELECT 1;
