#!/bin/sh
# One-shot schema job (temporalio/admin-tools): creates Temporal's two databases on PostgreSQL and brings their
# schemas to the version the server image expects, with Temporal's own SQL tool. Safe to run again: existing
# databases and schema versions are kept and only missing updates are applied.
set -eu
sql() { temporal-sql-tool --plugin postgres12 --ep "${POSTGRES_SEEDS}" -p "${DB_PORT}" -u "${POSTGRES_USER}" --pw "${POSTGRES_PWD}" "$@"; }
until nc -z -w 5 "${POSTGRES_SEEDS}" "${DB_PORT}"; do
  echo "waiting for PostgreSQL at ${POSTGRES_SEEDS}:${DB_PORT} ..."
  sleep 2
done
for pair in temporal:temporal temporal_visibility:visibility; do
  db="${pair%%:*}"
  schema="${pair##*:}"
  sql --db "$db" create-database 2>/dev/null || echo "database $db exists"
  sql --db "$db" setup-schema -v 0.0 2>/dev/null || echo "schema of $db already set up"
  sql --db "$db" update-schema -d "/etc/temporal/schema/postgresql/v12/${schema}/versioned"
done
echo "schemas ready"
