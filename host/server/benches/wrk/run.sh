#!/usr/bin/env bash
# Logins and PATCHes per second against the release binary, with wrk
# (`apt-get install wrk`) in its own process on loopback. SQLite store in a
# fresh directory, the `echo-user` script, 1,000 users.
#
#   cargo build --release -p authbox-cli && cargo bench -p authbox-server --bench serve --no-run
#   host/server/benches/wrk/run.sh [SECONDS]
#
# AUTHBOX_BIN=PATH runs another build of `authbox` (e.g. an older one, for a
# before/after) with this tree's guest.
#
# (the second command builds the `echo-user` guest the script uploads).
set -euo pipefail
cd "$(dirname "$0")/../../../.."
seconds="${1:-10}"
authbox=${AUTHBOX_BIN:-target/release/authbox}
wasm=$(find target -path '*wasm32-wasip2/release/echo_user.wasm' | head -n 1)
json() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
[[ -x $authbox && -n $wasm ]] || { echo "build first: see the top of $0" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

data=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
$authbox tenant create bench --data-dir "$data" >/dev/null
export API_KEY CLIENT_ID CLIENT_SECRET
API_KEY=$($authbox keys create --tenant bench --data-dir "$data" --json | json key)
client=$($authbox clients create --tenant bench --data-dir "$data" --json)
CLIENT_ID=$(json client_id <<<"$client")
CLIENT_SECRET=$(json client_secret <<<"$client")
AUTHBOX_LOG=warn $authbox serve --data-dir "$data" --listen "127.0.0.1:$port" &
server=$!
trap 'kill $server; rm -rf "$data"' EXIT
until curl -sf "$base/healthz" >/dev/null; do sleep 0.2; done
connection=$(curl -sf -X POST "$base/api/v2/connections" -H "authorization: Bearer $API_KEY" \
  -H 'content-type: application/json' -d '{"name":"echo","strategy":"auth0"}' | json id)
curl -sf -X PUT "$base/api/v2/connections/$connection/script" -H "authorization: Bearer $API_KEY" \
  -H 'content-type: application/wasm' --data-binary "@$wasm" >/dev/null

here=host/server/benches/wrk
# Warm-up: every user logs in once, the tenant's signing key is made.
wrk -t1 -c8 -d3s -s "$here/login.lua" "$base" >/dev/null
for c in 32 16 8; do
  echo "== logins through /oauth/token, $c in flight"
  wrk -t1 -c"$c" -d"${seconds}s" --latency -s "$here/login.lua" "$base" | grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|Socket errors'
done
echo "== metadata PATCHes, 32 in flight"
wrk -t1 -c32 -d"${seconds}s" --latency -s "$here/patch.lua" "$base" | grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|Socket errors'
