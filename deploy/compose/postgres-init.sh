#!/bin/sh
# Runs once, when the postgres container initialises an empty data
# directory: the server's restricted role, with a password to log in.
# `kijun migrate up` grants it what it needs; it owns nothing.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=pw="$KIJUN_APP_PASSWORD" <<'SQL'
CREATE ROLE kijun_app LOGIN PASSWORD :'pw';
SQL
