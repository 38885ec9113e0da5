#!/usr/bin/env bash
# Installs what the HTML report's browser tests need: Debian's chromium and playwright-core (npm ci).
# Idempotent; .ci/run calls it before the tests. Without it the Browser tests are reported as skipped.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
apt_updated=0
need_apt() {
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
if [ ! -x /usr/bin/chromium ]; then
  echo "browser tests: installing chromium (apt)"
  need_apt chromium
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "browser tests: installing nodejs and npm (apt)"
  need_apt nodejs npm
fi
want=$(node -p "require('$here/package-lock.json').packages['node_modules/playwright-core'].version")
have=$(node -p "try { require('$here/node_modules/playwright-core/package.json').version } catch { '' }")
if [ "$want" != "$have" ]; then
  echo "browser tests: npm ci (playwright-core)"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "browser tests: ready ($(/usr/bin/chromium --version 2>/dev/null | head -1), playwright-core $(node -p "require('$here/node_modules/playwright-core/package.json').version"))"
