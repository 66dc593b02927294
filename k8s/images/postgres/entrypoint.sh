#!/bin/sh
# First start on an empty PGDATA: initdb with POSTGRES_USER as the superuser and its password,
# password authentication from the network, the *.conf of /docker-entrypoint-initdb.d appended to
# postgresql.conf (libraries to preload) and its *.hba put before pg_hba.conf's rules (the first
# matching rule wins), its *.sql run once on a server that listens on the socket only; then the
# server in the foreground.
set -eu
: "${POSTGRES_USER:=postgres}"
if [ ! -s "${PGDATA}/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required on first start}"
  mkdir -p "${PGDATA}"
  chmod 0700 "${PGDATA}"
  pwfile="$(mktemp)"
  printf '%s\n' "${POSTGRES_PASSWORD}" > "${pwfile}"
  initdb --username="${POSTGRES_USER}" --pwfile="${pwfile}" --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 -D "${PGDATA}"
  rm -f "${pwfile}"
  printf 'host all all all scram-sha-256\n' >> "${PGDATA}/pg_hba.conf"
  printf "listen_addresses = '*'\n" >> "${PGDATA}/postgresql.auto.conf"
  for f in /docker-entrypoint-initdb.d/*.conf; do
    [ -e "${f}" ] || continue
    cat "${f}" >> "${PGDATA}/postgresql.conf"
  done
  for f in /docker-entrypoint-initdb.d/*.hba; do
    [ -e "${f}" ] || continue
    cat "${f}" "${PGDATA}/pg_hba.conf" > "${PGDATA}/pg_hba.conf.new"
    mv "${PGDATA}/pg_hba.conf.new" "${PGDATA}/pg_hba.conf"
  done
  pg_ctl -D "${PGDATA}" -o "-c listen_addresses=''" -w start
  for f in /docker-entrypoint-initdb.d/*.sql; do
    [ -e "${f}" ] || continue
    echo "entrypoint: running ${f}"
    psql -v ON_ERROR_STOP=1 --username="${POSTGRES_USER}" --dbname=postgres -f "${f}"
  done
  pg_ctl -D "${PGDATA}" -m fast -w stop
fi
exec "$@"
