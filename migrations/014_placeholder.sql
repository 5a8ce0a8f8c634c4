-- Placeholder for migration 014, which belongs to another branch of issue 13: drop this
-- file when merging that branch (015_sessions.sql follows it).
SELECT 1;

---- create above / drop below ----

SELECT 1;
