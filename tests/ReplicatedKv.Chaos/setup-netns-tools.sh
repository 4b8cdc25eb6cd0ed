#!/usr/bin/env bash
# Installs what rkv-chaos needs for real network partitions: iproute2 (ip netns, veth, bridge) and nftables.
# The harness runs this itself when `nft` or `ip` is missing; CI may run it up front. Debian/Ubuntu, as root.
set -euo pipefail
if command -v nft >/dev/null && command -v ip >/dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-netns-tools.sh: must run as root (apt-get install iproute2 nftables)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends iproute2 nftables >/dev/null
