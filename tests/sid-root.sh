#!/usr/bin/env bash
# Makes, once, the stand-in for the Pythons users run today: a Debian sid root with python3.13, 3.14 and 3.15
# (static, stripped builds needing sid's glibc), their python3.X-dbg packages downloaded beside it (never installed
# into the root) and unpacked into one folder per version. Cached outside the repository; a second call only checks.
#   bash tests/sid-root.sh            # prints the cache folder
# The Debian mirror is the one this machine's apt already uses (read from its sources, never written here).
set -euo pipefail
cache="${GILTRACER_SID_CACHE:-/var/cache/giltracer-sid}"
root="$cache/root" debs="$cache/debs" dbg="$cache/dbg"
versions=(3.13 3.14 3.15)

mirror() {
  local m
  m=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n1)
  [ -n "$m" ] || m=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}' | grep -v security | head -n1)
  [ -n "$m" ] || { echo "sid-root: no Debian mirror in this machine's apt sources" >&2; exit 1; }
  echo "$m"
}

have_all() { for v in "${versions[@]}"; do [ -x "$root/usr/bin/python$v" ] && [ -d "$dbg/$v/usr/lib/debug/.build-id" ] || return 1; done; }

if have_all; then echo "$cache"; exit 0; fi
mkdir -p "$cache"
command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
m=$(mirror)
if [ ! -x "$root/usr/bin/python3.15" ]; then
  rm -rf "$root.tmp"
  debootstrap --variant=minbase --include="$(IFS=,; echo "${versions[*]/#/python}")" sid "$root.tmp" "$m" >"$cache/debootstrap.log" 2>&1 ||
    { echo "sid-root: debootstrap failed, see $cache/debootstrap.log" >&2; exit 1; }
  rm -rf "$root" && mv "$root.tmp" "$root"
fi
# The -dbg packages of exactly the installed versions (their debug files match the binaries by build-id).
mkdir -p "$debs"
cp -f /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
chroot "$root" apt-get -o Acquire::Check-Valid-Until=false update -qq >/dev/null
for v in "${versions[@]}"; do
  ver=$(chroot "$root" dpkg-query -W -f='${Version}' "python$v-minimal")
  ls "$debs"/python"$v"-dbg_*.deb >/dev/null 2>&1 ||
    (cd "$root/tmp" && chroot "$root" sh -c "cd /tmp && apt-get -o Acquire::Check-Valid-Until=false download -qq python$v-dbg=$ver" && mv "$root"/tmp/python"$v"-dbg_*.deb "$debs/")
  rm -rf "$dbg/$v" && mkdir -p "$dbg/$v"
  dpkg-deb -x "$debs"/python"$v"-dbg_*.deb "$dbg/$v"
done
have_all || { echo "sid-root: the root or the debug files are incomplete in $cache" >&2; exit 1; }
echo "$cache"
