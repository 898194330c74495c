#!/usr/bin/env bash
# Starts the built service (`npm run build` first) the way production does, `node dist/main.js`,
# waits for its banner, checks /readyz, runs the built CLI, and stops it. Used by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
PORT=${PORT:-$(( 30000 + RANDOM % 20000 ))} SIMULATOR_PORT=0 HUBSPOT_PROVISION_AT_START=false node dist/main.js >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 120); do
  grep -q 'listening on' "$log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "dist: the service exited before listening"; exit 1; }
  sleep 0.5
done
url=$(grep -o 'listening on http://[^ ]*' "$log" | head -1 | cut -d' ' -f3)
[ -n "$url" ] || { cat "$log"; echo "dist: no banner"; exit 1; }
node -e 'fetch(process.argv[1]).then(async (r) => { console.log(r.status, await r.text()); process.exit(r.ok ? 0 : 1); })' "$url/readyz"
node dist/cli/main.js help >/dev/null
kill -TERM "$pid"
wait "$pid"
echo "dist: node dist/main.js served $url/readyz and stopped cleanly"
