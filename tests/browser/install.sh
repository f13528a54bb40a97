#!/bin/sh
# Installs playwright-core (the driver only, no bundled browsers) into tests/browser/node_modules
# (gitignored) with `npm ci` from the committed package-lock.json (version pinned in package.json).
# The browser is the Debian `chromium` package: `apt-get install -y chromium`. Idempotent: a stamp
# named after the lockfile's hash makes a second run return at once.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
stamp="$here/node_modules/.installed-$(sha256sum "$here/package-lock.json" | cut -c1-16)"
[ -f "$stamp" ] && exit 0
npm ci --no-audit --no-fund --loglevel=error --prefix "$here"
touch "$stamp"
