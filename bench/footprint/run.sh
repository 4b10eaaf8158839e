#!/usr/bin/env bash
# Footprint of the shipped programs: size on disk, start time and idle memory (RSS) with an open stream.
# Compares the Native AOT agent with the same agent on the JIT runtime, in the same run.
#
#   bench/footprint/run.sh            (root not needed; needs a Docker engine at $DOCKER_HOST or the default socket)
#
# Publishes what is missing (deploy/publish.sh, plus a JIT build of the agent in artifacts/publish/agent-jit),
# starts the self-contained console on free loopback ports with an empty data directory, connects each agent
# in turn, waits IDLE seconds, and reads VmRSS from /proc. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
idle="${IDLE:-15}"
AOT_ENV="${AOT_ENV:-}"   # extra NAME=VALUE settings for the AOT agent, e.g. DOTNET_GCgen0size=0x400000
docker_endpoint="${CONOPS_TEST_DOCKER_HOST:-unix:///var/run/docker.sock}"
pub="$root/artifacts/publish"

[ -x "$pub/agent/conops-agent" ] || deploy/publish.sh agent >/dev/null
[ -x "$pub/console/conops-console" ] || deploy/publish.sh console >/dev/null
if [ ! -f "$pub/agent-jit/conops-agent.dll" ]; then
  dotnet publish src/Agent -c Release -p:PublishAot=false -p:DebugType=none -o "$pub/agent-jit" -nologo -v:q >/dev/null
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
rss_mb() { awk '/VmRSS/ { printf "%.1f", $2/1024 }' "/proc/$1/status"; }
now_ms() { date +%s%3N; }

work="$(mktemp -d)"
pids=()
# Agents start inside $(...) subshells, so they record their pids in a file for the cleanup.
cleanup() {
  for p in "${pids[@]}" $(cat "$work/agent-pids" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true; rm -rf "$work"
}
trap cleanup EXIT

ui=$(free_port); agents=$(free_port)
admin_token="bench-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
ConOps__Auth__BootstrapToken="$admin_token" ConOps__Console__UiUrl="http://127.0.0.1:$ui" ConOps__Console__AgentUrl="https://127.0.0.1:$agents" \
ConOps__Console__DataDirectory="$work/console" \
  "$pub/console/conops-console" >"$work/console.log" 2>&1 &
console_pid=$!; pids+=("$console_pid")
console_start=$(now_ms)
until curl -sf "http://127.0.0.1:$ui/healthz" >/dev/null; do sleep 0.05; done
console_ready_ms=$(( $(now_ms) - console_start ))

# Creates a host in the console and prints its join command's environment as NAME=VALUE lines.
join_env() {
  curl -sf -X POST -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json' -d "{\"name\":\"$1\"}" "http://127.0.0.1:$ui/api/hosts" |
    python3 -c 'import json,sys; [print(f"{k}={v}") for k, v in json.load(sys.stdin)["environment"].items()]'
}

# Enrolls an agent with a join token (TLS, pinned certificate), waits until it is connected, then idles;
# prints "start_ms connect_ms rss_mb pid".
measure_agent() {
  local name="$1"; shift
  local log="$work/$name.log"
  mapfile -t join < <(join_env "bench-$name")
  local t0; t0=$(now_ms)
  env "${join[@]}" ConOps__Agent__DataDirectory="$work/$name" ConOps__Agent__DockerEndpoint="$docker_endpoint" \
    "$@" >"$log" 2>&1 &
  local pid=$!; echo "$pid" >> "$work/agent-pids"
  until grep -q "Application started" "$log"; do sleep 0.002; done
  local started=$(( $(now_ms) - t0 ))
  until grep -q "Connected to console" "$log"; do sleep 0.005; done
  local connected=$(( $(now_ms) - t0 ))
  sleep "$idle"
  echo "$started $connected $(rss_mb "$pid") $pid"
}

read -r aot_start aot_connect aot_rss aot_pid < <(measure_agent aot env $AOT_ENV "$pub/agent/conops-agent")
read -r jit_start jit_connect jit_rss jit_pid < <(measure_agent jit dotnet "$pub/agent-jit/conops-agent.dll")
console_rss=$(rss_mb "$console_pid")
curl -sf -H "Authorization: Bearer $admin_token" "http://127.0.0.1:$ui/api/hosts" | grep -q '"connected":true' || { echo "agents not connected" >&2; exit 1; }

aot_disk=$(du -sm --apparent-size "$pub/agent/conops-agent" | cut -f1)
aot_disk_bytes=$(stat -c %s "$pub/agent/conops-agent")
jit_disk=$(du -sm --apparent-size "$pub/agent-jit" | cut -f1)
console_disk=$(du -sm --apparent-size "$pub/console" | cut -f1)
ratio() { python3 -c "print(f'{$1/$2:.1f}x')"; }

echo "| what | Native AOT agent | JIT agent (same code) | JIT / AOT |"
echo "| --- | --- | --- | --- |"
aot_mib=$(python3 -c "print(f'{$aot_disk_bytes/1048576:.1f}')")
echo "| on disk | $aot_mib MiB (one file) | $jit_disk MiB (+ the shared .NET runtime, ~70 MiB) | n/a |"
echo "| start to 'Application started' | $aot_start ms | $jit_start ms | $(ratio "$jit_start" "$aot_start") |"
echo "| start to stream open | $aot_connect ms | $jit_connect ms | $(ratio "$jit_connect" "$aot_connect") |"
echo "| idle RSS, stream open, after ${idle} s | $aot_rss MB | $jit_rss MB | $(ratio "$jit_rss" "$aot_rss") |"
echo
echo "| console (self-contained) | value |"
echo "| --- | --- |"
echo "| on disk | $console_disk MiB |"
echo "| start to /healthz answering | $console_ready_ms ms |"
echo "| idle RSS, 2 agents connected | $console_rss MB |"
for image in "${CONOPS_CONSOLE_IMAGE:-conops-it/console:test}" "${CONOPS_AGENT_IMAGE:-conops-it/agent:test}" "${CONOPS_BASE_IMAGE:-conops-local/debian:bookworm}"; do
  size=$(docker image inspect -f '{{.Size}}' "$image" 2>/dev/null || true)
  [ -n "$size" ] && echo "| image $image | $(python3 -c "print(f'{$size/1e6:.0f}')") MB |"
done
