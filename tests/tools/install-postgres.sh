#!/usr/bin/env bash
# Makes sure Debian's PostgreSQL server binaries (initdb, postgres) are installed, for the
# history-store tests of `oppie drift` (oppie/tests/history_store.rs starts a throwaway cluster
# from them). Installs the `postgresql` package with apt-get when run as root (CI); otherwise
# says how, and the tests skip with one line (OPPIE_REQUIRE_POSTGRES=1 makes them fail instead).
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "${OPPIE_PG_BIN:-}" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  ls /usr/lib/postgresql/*/bin/initdb
elif [ "${OPPIE_REQUIRE_POSTGRES:-}" = 1 ]; then
  echo "PostgreSQL server not installed and not root: run 'sudo apt-get install postgresql' (OPPIE_REQUIRE_POSTGRES=1)" >&2
  exit 1
else
  echo "PostgreSQL server not installed (needs root: sudo apt-get install postgresql): the PostgreSQL store tests will skip"
fi
