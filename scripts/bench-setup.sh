#!/usr/bin/env bash
# Installs what `npm run bench` needs on a fresh Debian machine, from Debian's packages: wrk (the HTTP
# load generator), redis-server and redis-cli (standalone and Cluster rows), taskset (util-linux, to pin
# processes to a CPU); then node packages if missing. Idempotent and quiet when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
# redis-tools ships redis-cli (`--cluster create`); redis-server depends on it.
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v taskset >/dev/null 2>&1 || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  echo "bench-setup: installing ${need[*]} from Debian's packages" >&2
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
