#!/usr/bin/env bash
# Where the agent's idle memory goes: runs one console, then enrolls each agent variant in turn (TLS, pinned
# certificate, open stream), idles, and prints RSS split into anonymous and file-backed memory plus the
# biggest mappings from /proc/<pid>/smaps. Used to bisect the Native AOT agent's footprint.
#
#   bench/footprint/agent-variants.sh NAME=BINARY[@ENV=VALUE,ENV=VALUE] ...
#   e.g. bench/footprint/agent-variants.sh base=/tmp/aot/base/conops-agent gen0=/tmp/aot/base/conops-agent@DOTNET_GCgen0size=0x100000
#
# Needs the published console (deploy/publish.sh console) and a Docker engine ($CONOPS_TEST_DOCKER_HOST or the
# default socket). IDLE (default 15) seconds of idling; TOP (default 8) mappings shown per variant; DUMP=dir keeps
# each variant's full smaps there; INSPECT='command' runs with PID set before each variant is stopped.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
idle="${IDLE:-15}"
top="${TOP:-8}"
docker_endpoint="${CONOPS_TEST_DOCKER_HOST:-unix:///var/run/docker.sock}"
console="${CONSOLE:-$root/artifacts/publish/console/conops-console}"
[ -x "$console" ] || { echo "publish the console first: deploy/publish.sh console" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

ui=$(free_port); agents=$(free_port)
admin_token="bench-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
ConOps__Auth__BootstrapToken="$admin_token" ConOps__Console__UiUrl="http://127.0.0.1:$ui" ConOps__Console__AgentUrl="https://127.0.0.1:$agents" \
ConOps__Console__DataDirectory="$work/console" "$console" >"$work/console.log" 2>&1 &
pids+=("$!")
until curl -sf "http://127.0.0.1:$ui/healthz" >/dev/null; do sleep 0.1; done

join_env() {
  curl -sf -X POST -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json' -d "{\"name\":\"$1\"}" "http://127.0.0.1:$ui/api/hosts" |
    python3 -c 'import json,sys; [print(f"{k}={v}") for k, v in json.load(sys.stdin)["environment"].items()]'
}

# Sums Rss per mapping name (anonymous mappings named [anon]) and prints the biggest.
top_mappings() {
  awk -v top="$top" '
    /^[0-9a-f]+-[0-9a-f]+ / { name = ($6 == "" ? "[anon]" : $6); next }
    /^Rss:/ { rss[name] += $2 }
    END { for (n in rss) printf "%8d kB  %s\n", rss[n], n }' "/proc/$1/smaps" | sort -rn | head -n "$top" || true
}

echo "| variant | RSS MB | anonymous MB | file-backed MB | private dirty MB | threads |"
echo "| --- | --- | --- | --- | --- | --- |"
details=""
for spec in "$@"; do
  name="${spec%%=*}"; rest="${spec#*=}"
  binary="${rest%%@*}"; settings=""
  [ "$rest" != "$binary" ] && settings="${rest#*@}"
  mapfile -t join < <(join_env "v-$name-$RANDOM")
  extra=(); IFS=',' read -r -a extra <<<"$settings"
  log="$work/$name.log"
  env "${join[@]}" ConOps__Agent__DataDirectory="$work/$name" ConOps__Agent__DockerEndpoint="$docker_endpoint" "${extra[@]}" \
    "$binary" >"$log" 2>&1 &
  pid=$!; pids+=("$pid")
  for _ in $(seq 1 600); do grep -q "Connected to console" "$log" && break; sleep 0.1; done
  grep -q "Connected to console" "$log" || { echo "$name did not connect:" >&2; cat "$log" >&2; exit 1; }
  sleep "$idle"
  read -r rss anon fileb dirty < <(awk '/^Rss:/ {r=$2} /^Anonymous:/ {a=$2} /^Private_Dirty:/ {d=$2} END {printf "%.1f %.1f %.1f %.1f\n", r/1024, a/1024, (r-a)/1024, d/1024}' "/proc/$pid/smaps_rollup")
  threads=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")
  echo "| $name | $rss | $anon | $fileb | $dirty | $threads |"
  [ -n "${INSPECT:-}" ] && PID=$pid bash -c "$INSPECT"
  [ -n "${DUMP:-}" ] && mkdir -p "$DUMP" && cp "/proc/$pid/smaps" "$DUMP/$name.smaps"
  details+="$name:"$'\n'"$(top_mappings "$pid")"$'\n'
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
echo
echo "$details"
