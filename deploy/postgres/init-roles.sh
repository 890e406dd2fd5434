#!/bin/sh
# Trialsite's database and its two roles, made once on an empty PostgreSQL (docker-compose mounts
# this into /docker-entrypoint-initdb.d; by hand: PGHOST=... POSTGRES_USER=postgres sh init-roles.sh).
#   owner: owns the database and its schema and runs `manage.py migrate` (with DB_APP_ROLE set, so
#          migrate grants the application role its table rights)
#   app:   what the web app, worker and beat connect as: no superuser, owns nothing, so it cannot
#          disable the audit trail's triggers, truncate, or rewrite history rows
set -eu
DB=${TRIALSITE_DB:-trialsite}
OWNER=${TRIALSITE_OWNER:-trialsite_owner}
APP=${TRIALSITE_APP:-trialsite_app}

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v db="$DB" -v owner="$OWNER" -v app="$APP" \
    -v owner_password="$TRIALSITE_OWNER_PASSWORD" -v app_password="$TRIALSITE_APP_PASSWORD" <<'SQL'
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'app_password';
CREATE DATABASE :"db" OWNER :"owner";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app";
SQL

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$DB" -v owner="$OWNER" -v app="$APP" <<'SQL'
ALTER SCHEMA public OWNER TO :"owner";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
SQL
