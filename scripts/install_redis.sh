#!/usr/bin/env bash
# Installs Debian's redis-server, the broker the tests start on a free port to check the
# Redis Streams event broker (CG_EVENTS_BROKER, README "Delivery across processes"). Only the
# binary is wanted: the package's own service (on port 6379, as a daemon) is kept from starting
# by a policy-rc.d that refuses every service start for the length of the install, so nothing
# of the machine's changes but a program on the PATH. The API needs no Redis unless told to.
#
# Skipped when redis-server is installed already. Needs root (apt-get); without it, says what to run.
set -euo pipefail
say() { echo "install_redis.sh: $*" >&2; }

if command -v redis-server >/dev/null 2>&1; then
    exit 0
fi
if [[ "$(id -u)" != "0" ]]; then
    say "redis-server is missing: run 'sudo apt-get install -y redis-server' (or this script as root)"
    exit 1
fi
say "installing redis-server with apt-get (about 5 MB), without starting its service"
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
added_policy=0
if [[ ! -e "$policy" ]]; then
    # invoke-rc.d asks this script before starting a service: 101 means "not allowed".
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    added_policy=1
fi
cleanup() { if [[ "$added_policy" == "1" ]]; then rm -f "$policy"; fi; }
trap cleanup EXIT
# An update only when the lists do not know the package yet (a fresh container has none).
if ! apt-cache show redis-server >/dev/null 2>&1; then
    apt-get update -qq
fi
apt-get install -y -qq --no-install-recommends redis-server >/dev/null
say "done: $(redis-server --version)"
