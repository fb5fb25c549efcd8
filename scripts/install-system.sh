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

# The README's `uv run gridgov …` must work in a new shell too, and pip --user puts
# uv in ~/.local/bin, which a new shell's PATH does not search (Debian adds it only
# to login shells of users who had the folder when they logged in, and never for
# root). Link uv (and uvx) into /usr/local/bin when we may; else say what to add.
uv_bin=$(command -v uv || echo "$HOME/.local/bin/uv")
fresh_path=$(env -i HOME="$HOME" bash -lc 'echo "$PATH"' 2>/dev/null || echo /usr/local/bin:/usr/bin:/bin)
if ! env -i HOME="$HOME" PATH="$fresh_path" bash -c 'command -v uv' >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]]; then sudo=(); elif sudo -n true 2>/dev/null; then sudo=(sudo); else sudo=(false); fi
  uv_dir=$(dirname "$uv_bin")
  if "${sudo[@]}" ln -sf "$uv_bin" /usr/local/bin/uv 2>/dev/null; then
    [[ -x "$uv_dir/uvx" ]] && "${sudo[@]}" ln -sf "$uv_dir/uvx" /usr/local/bin/uvx
    echo "linked /usr/local/bin/uv -> $uv_bin, so that a new shell finds uv"
  else
    echo "note: uv is in $uv_dir, which a new shell does not search. Add this line to"
    echo "      ~/.bashrc (or your shell's profile), then open a new shell:"
    echo "      export PATH=\"$uv_dir:\$PATH\""
  fi
fi
