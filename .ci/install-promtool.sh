#!/usr/bin/env bash
# Installs promtool (Debian package prometheus, without its recommends) for the monitoring-file tests, when it is
# missing and this runs as root. Without root it only says so: those tests then skip with the reason.
set -euo pipefail
if command -v promtool >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-promtool: promtool missing and not root; the promtool tests will skip" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The package's service is not wanted, only its promtool; policy-rc.d keeps apt from starting the daemon.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=1
fi
apt-get install -y -qq --no-install-recommends prometheus >/dev/null || echo "install-promtool: apt-get install prometheus failed; the promtool tests will skip" >&2
if [ "$created_policy" -eq 1 ]; then
  rm -f "$policy"
fi
