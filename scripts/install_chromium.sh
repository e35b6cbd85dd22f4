#!/usr/bin/env bash
# Installs Debian's chromium and chromium-driver, which the explorer's browser tests
# (tests/explorer), its screenshots (scripts/explorer_screenshots.py) and bench/explore_bench.py
# drive headless through Selenium. A browser download at install time (Playwright's, Selenium
# Manager's) would need the internet; Debian's packages come from the apt mirror like any other.
#
# Skipped when both are installed already. Needs root (apt-get); without it, says what to run.
set -euo pipefail
say() { echo "install_chromium.sh: $*" >&2; }

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    say "chromium and chromedriver already installed"
    exit 0
fi
if [[ "$(id -u)" != "0" ]]; then
    say "chromium is missing: run 'sudo apt-get install -y chromium chromium-driver' (or this script as root)"
    exit 1
fi
say "installing chromium and chromium-driver with apt-get (about 250 MB)"
export DEBIAN_FRONTEND=noninteractive
# An update only when the lists do not know the packages yet (a fresh container has none).
if ! apt-cache show chromium-driver >/dev/null 2>&1; then
    apt-get update -qq
fi
apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
say "done: $(chromium --version 2>/dev/null || echo chromium)"
