#!/bin/sh
# Creates (or upgrades) Temporal's two databases and their schemas in Postgres. It is safe
# to run again: existing databases are kept and only missing schema versions are applied.
# Connection settings come from SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD and SQL_PLUGIN.
set -eu

schemas=/etc/temporal/schema/postgresql/v12
for db in temporal:temporal temporal_visibility:visibility; do
  name=${db%%:*}
  dir=${db#*:}
  echo "temporal schema: $name"
  temporal-sql-tool --db "$name" create
  temporal-sql-tool --db "$name" setup-schema -v 0.0
  temporal-sql-tool --db "$name" update-schema -d "$schemas/$dir/versioned"
done
echo "temporal schema: done"
