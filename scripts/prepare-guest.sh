#!/usr/bin/env bash
# Download and build the guest image the guest test tier (test/guest) and
# `nicemu run` boot: Debian 12's i386 kernel, busybox-static, SeaBIOS (apt-get
# download) and v86 (npm), into $NICEMU_GUEST_CACHE (default
# ~/.cache/nicemu/guest), outside the repository. Idempotent; FORCE=1 redoes it.
# As root it enables the i386 architecture and runs apt-get update when needed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cli/main.js ] && [ -z "${REBUILD:-}" ] || npm run build --silent
if [ "${FORCE:-0}" = 1 ]; then
  node -e 'import("./dist/v86/guest/prepare.node.js").then(m => m.prepareGuest({ force: true })).then(r => console.log("guest ready:", r.initrd), e => { console.error(e.message); process.exit(1); })'
else
  node bin/nicemu.js run --prepare-only
fi
