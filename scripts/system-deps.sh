#!/usr/bin/env bash
# Debian packages the test suite needs: PostgreSQL (database tests) and Chromium (browser
# tests of the dashboard). Installs only what is missing; needs root, as on CI.
set -euo pipefail
need=()
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${need[*]}" >&2
if [ "$(id -u)" != 0 ]; then
  echo "not root: install ${need[*]} with your package manager, then run again" >&2
  exit 1
fi
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
