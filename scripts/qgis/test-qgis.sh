#!/usr/bin/env bash
# make test-qgis: Debian's QGIS (3.22 on bookworm) opens every OGC collection of a
# throwaway gridgov through HTTP Basic authentication, and counts match the store.
# Installs qgis and python3-qgis if missing. Touches none of your data: the city is
# built in a temporary embedded cluster that is stopped and deleted at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

scripts/install-system.sh --qgis
export PATH="$HOME/.local/bin:$PATH" UV_PYTHON_DOWNLOADS=never QT_QPA_PLATFORM=offscreen
unset GEO_API_DATABASE_URL GEO_API_PUBLIC_URL  # never your own store
work=$(mktemp -d -t gridgov-qgis-XXXXXX)
chmod 755 "$work"  # the postgres user runs the cluster in it when we are root
export GEO_API_CLUSTER_DIR="$work/cluster" GEO_API_SECRET_FILE="$work/secret"
server=""
cleanup() {
  if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  uv run gridgov db down >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "building a 2,000-household city in $work"
uv run gridgov demo --households 2000 --seed 7 --no-serve >"$work/demo.log" 2>&1 \
  || { cat "$work/demo.log"; exit 1; }
user="QGIS 测试 planner"
key=$(uv run gridgov users create "$user" --role planner | grep -o 'gg_[A-Za-z0-9_-]*' | head -1)
uv run python scripts/qgis/store_counts.py >"$work/counts.json"

port=$(uv run python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
uv run gridgov serve --host 127.0.0.1 --port "$port" >"$work/serve.log" 2>&1 &
server=$!
# Wait for the server we started (a loaded machine takes a minute to import the app):
# give up only if it died or stayed silent for 5 minutes, saying why from its log.
up=""
for _ in $(seq 300); do
  if ! kill -0 "$server" 2>/dev/null; then
    echo "gridgov serve exited before answering; the end of $work/serve.log:" >&2
    tail -n 20 "$work/serve.log" >&2
    exit 1
  fi
  if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then up=1; break; fi
  sleep 1
done
if [[ -z "$up" ]]; then
  echo "gridgov serve did not answer on port $port within 300 s; the end of serve.log:" >&2
  tail -n 20 "$work/serve.log" >&2
  exit 1
fi

/usr/bin/python3 scripts/qgis/check_oapif.py "http://127.0.0.1:$port/ogc" "$user" "$key" \
  "$work/counts.json"
