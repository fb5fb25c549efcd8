#!/usr/bin/env bash
# Install the system packages gridgov needs on Debian or Ubuntu, only those missing.
#   scripts/install-system.sh          PostgreSQL + PostGIS + pgRouting, Node.js/npm, Python, uv
#   scripts/install-system.sh --test   and what the tests need: Chromium, CJK fonts, GDAL
#   scripts/install-system.sh --bench  and what benchmarks use: wrk
#   scripts/install-system.sh --qgis   QGIS and its Python bindings (make test-qgis)
set -euo pipefail

packages=(postgresql postgresql-contrib postgresql-postgis postgresql-pgrouting python3 python3-venv)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
for option in "$@"; do
  case "$option" in
    # Chromium for page tests, CJK fonts so screenshots show Chinese, gdal-bin for ogrinfo.
    --test) packages+=(chromium fonts-noto-cjk gdal-bin) ;;
    --bench) packages+=(wrk) ;;
    # Debian's own QGIS (3.22 on bookworm), for make test-qgis; curl to wait for the server.
    --qgis) packages+=(qgis python3-qgis curl) ;;
    *) echo "usage: $0 [--test] [--bench] [--qgis]" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$pkg")
done

if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: apt-get not found; install these yourself: ${missing[*]}" >&2
    exit 1
  fi
  echo "installing system packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi

# Debian's postgresql package starts a cluster of its own; gridgov runs its own
# private one instead, so the system one is not needed (and may be left running).

if ! command -v uv >/dev/null 2>&1 && ! [[ -x "$HOME/.local/bin/uv" ]]; then
  echo "installing uv (Python package manager) for $(id -un)"
  python3 -m pip --version >/dev/null 2>&1 || {
    if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq python3-pip
  }
  python3 -m pip install --user --quiet uv 2>/dev/null \
    || python3 -m pip install --user --quiet --break-system-packages uv
fi

# The README's `uv run gridgov …` must work in a new shell too (tests/test_uv_on_path.py).
"$(dirname "$0")/uv-on-path.sh"
