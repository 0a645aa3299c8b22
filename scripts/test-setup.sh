#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine, from Debian's packages: redis-server
# and postgresql-15 (the harness starts its own servers on free loopback ports), chromium (the status
# page's browser test), promtool (the alert rules' checks) and kubectl (renders deploy/k8s); then node
# packages if missing.
# Idempotent and quiet when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# The status page's browser test drives Debian's chromium (playwright-core, no browser download); fonts so text renders.
[ -x /usr/bin/chromium ] || need+=(chromium fonts-dejavu-core)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
# promtool (from Debian's prometheus package) checks and unit-tests deploy/prometheus/ rules.
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
# kubectl renders deploy/k8s (`kubectl kustomize`, offline). Its kustomization uses `labels:`, which
# needs kubectl 1.22+; Debian 12's package is 1.20, so the deploy test says so if that is what is found.
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
if [ ${#need[@]} -gt 0 ]; then
  echo "test-setup: installing ${need[*]} from Debian's packages" >&2
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # The package may start its own cluster (15/main, port 5432); the tests boot a throwaway one, so stop it.
  if [[ " ${need[*]} " == *" postgresql-15 "* ]]; then $SUDO pg_ctlcluster 15 main stop >/dev/null 2>&1 || true; fi
  # Only promtool is needed: stop the Prometheus server the package may have started (port 9090).
  if [[ " ${need[*]} " == *" prometheus "* ]]; then $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true; fi
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
