#!/bin/sh
# Installs playwright-core (the driver only, no bundled browsers) into tests/browser/node_modules
# (gitignored). The browser is the Debian `chromium` package: `apt-get install -y chromium`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
npm install --no-audit --no-fund --silent --prefix "$here"
