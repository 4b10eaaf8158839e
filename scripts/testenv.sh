#!/usr/bin/env bash
# ConOps test environment: installs (Debian packages) and starts the real parts the
# integration tests use: two Docker engines, local test images, three registries
# (anonymous, Basic, Bearer token), git servers (git://, smart HTTP, SSH) and Chromium.
#
#   scripts/testenv.sh [up]   start what is missing (idempotent; ~1 s when all is up)
#   scripts/testenv.sh engine only engine 1 and the demo images (what scripts/run.sh needs)
#   scripts/testenv.sh down   stop everything this script started
#   scripts/testenv.sh env    print the env file (export lines)
#
# Progress goes to stderr; `up` prints the export lines on stdout at the end, so
# `eval "$(scripts/testenv.sh up)"` works. They are also written to .conops/testenv.env.
# All credentials here are test-only.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
# CONOPS_TESTENV_STATE lets a second checkout share an environment that is already running.
STATE="${CONOPS_TESTENV_STATE:-$REPO_ROOT/.conops/testenv}"
ENV_FILE="$(dirname "$STATE")/testenv.env"

# Docker CLI config kept out of ~/.docker (docker login writes there).
export DOCKER_CONFIG="$STATE/docker-config"
export DOCKER_BUILDKIT=0        # legacy builder: no buildx plugin needed, works on engine 20.10
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH || true
export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1

D1_SOCK=/var/run/docker.sock
D1_HOST="unix://$D1_SOCK"
D1_DIR="$STATE/docker1"
# Every app gets its own compose network; the stock pools hold about 30, a test run needs more.
D1_POOL="base=10.212.0.0/16,size=24"

D2_DIR="$STATE/docker2"
# Short exec root (unix socket paths are limited to ~107 bytes), unique per checkout.
STATE_HASH="$(printf '%s' "$STATE" | md5sum | cut -c1-8)"
D2_EXEC="/run/conops-d2-$STATE_HASH"
D2_SOCK="$D2_DIR/docker.sock"
if [ "${#D2_SOCK}" -gt 100 ]; then D2_SOCK="/run/conops-d2-$STATE_HASH.sock"; fi
D2_HOST="unix://$D2_SOCK"
# Engine 2 gets its own, pre-made bridge instead of --bridge=none: with --bridge=none,
# dockerd 20.10 DELETES the host's docker0 at start (removeDefaultBridgeInterface) and
# so breaks engine 1's default network. Its own address pool keeps its networks (compose
# project networks) from overlapping engine 1's 172.17-31.x networks in the shared netns.
D2_BRIDGE=conops-d2br0
D2_BRIDGE_CIDR=10.213.255.1/24
D2_POOL="base=10.213.0.0/17,size=24"

IMG_BUSYBOX="conops-test/busybox:1"
IMG_WEB1="conops-test/web:1"
IMG_WEB2="conops-test/web:2"

REG_DIR="$STATE/registry"
REG_USER="conops"
REG_BASIC_PASSWORD="conops-registry-secret"
REG_TOKEN_PASSWORD="conops-token-secret"
REG_SERVICE="conops-test-registry"
REG_ISSUER="conops-test-issuer"
TOKEN_PORT=5004
TOKEN_REALM="http://127.0.0.1:$TOKEN_PORT/token"
PUSH_REPO="conops/web"
ACCEPT_ALL=(-H "Accept: application/vnd.docker.distribution.manifest.v2+json"
            -H "Accept: application/vnd.docker.distribution.manifest.list.v2+json"
            -H "Accept: application/vnd.oci.image.manifest.v1+json"
            -H "Accept: application/vnd.oci.image.index.v1+json")

GIT_DIR_STATE="$STATE/git"
GIT_ROOT="$GIT_DIR_STATE/repos"
GIT_HTTP_USER="conops"
GIT_HTTP_PASSWORD="conops-git-secret"
SSH_DIR="$STATE/ssh"
SSH_PORT=2222

CHROMIUM=/usr/bin/chromium
PY=/usr/bin/python3

IS_ROOT=0; [ "$(id -u)" = 0 ] && IS_ROOT=1
START_TIME="$(date +%s.%N)"

log()   { printf '[testenv] %s\n' "$*" >&2; }
ready() { printf '[testenv] ready: %s\n' "$*" >&2; }
die()   { printf '[testenv] ERROR: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_until SECONDS DESCRIPTION LOGFILE cmd...: poll cmd every 0.2 s.
wait_until() {
  local timeout=$1 what=$2 logf=$3; shift 3
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "timed out after ${timeout}s waiting for $what"
      if [ -n "$logf" ] && [ -f "$logf" ]; then
        log "last lines of $logf:"; tail -n 30 "$logf" >&2 || true
      fi
      exit 1
    fi
    sleep 0.2
  done
}

# alive and not a zombie (a detached process is reaped by whatever adopted it, maybe late)
pid_alive() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
  local st; st="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1 || true)"
  [ -n "$st" ] && [ "$st" != Z ]
}
pid_from() { [ -f "$1" ] && tr -dc '0-9' <"$1" || true; }
# pid_matches PID WORD: the process's command line contains WORD
pid_matches() { pid_alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "$2"; }

# start_bg PIDFILE LOGFILE cmd...: detached (own session, no tty, output to log).
start_bg() {
  local pidfile=$1 logf=$2; shift 2
  nohup setsid "$@" >>"$logf" 2>&1 </dev/null &
  echo $! >"$pidfile"
}

# stop_pid PIDFILE WORD TIMEOUT: SIGTERM the recorded process (if it is still ours), wait.
stop_pid() {
  local pidfile=$1 word=$2 timeout=${3:-20} pid
  pid="$(pid_from "$pidfile")"
  if pid_matches "$pid" "$word"; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$(( $(date +%s) + timeout ))
    while pid_alive "$pid"; do
      if [ "$(date +%s)" -ge "$deadline" ]; then
        log "$word ($pid) did not stop in ${timeout}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true; sleep 0.5; break
      fi
      sleep 0.2
    done
    log "stopped $word (pid $pid)"
  fi
  rm -f "$pidfile"
}

need_root() { [ "$IS_ROOT" = 1 ] || die "$1 (run this script as root, e.g. 'sudo scripts/testenv.sh up', or start it yourself)"; }

# ---------------------------------------------------------------- packages
apt_update() {
  local deadline=$(( $(date +%s) + 600 ))
  until apt-get -o DPkg::Lock::Timeout=600 update -qq >>"$STATE/apt.log" 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || die "apt-get update kept failing"
    log "apt-get update failed (lock held by another apt? see $STATE/apt.log); retrying in 5 s"; sleep 5
  done
}

ensure_packages() {
  local pkgs=()
  command -v dockerd >/dev/null 2>&1 || pkgs+=(docker.io)
  command -v docker >/dev/null 2>&1 || pkgs+=(docker.io)
  dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || pkgs+=(busybox-static)
  command -v docker-compose >/dev/null 2>&1 || pkgs+=(docker-compose)
  # The Deploy tests: the debootstrap base image, the Native AOT agent (clang, zlib), systemd-analyze.
  command -v debootstrap >/dev/null 2>&1 || pkgs+=(debootstrap)
  command -v clang >/dev/null 2>&1 || pkgs+=(clang)
  dpkg-query -W -f='${Status}' zlib1g-dev 2>/dev/null | grep -q 'ok installed' || pkgs+=(zlib1g-dev)
  command -v systemd-analyze >/dev/null 2>&1 || pkgs+=(systemd)
  command -v docker-registry >/dev/null 2>&1 || pkgs+=(docker-registry)
  command -v htpasswd >/dev/null 2>&1 || pkgs+=(apache2-utils)
  [ -x /usr/sbin/sshd ] || pkgs+=(openssh-server)
  command -v ssh >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1 || pkgs+=(openssh-client)
  command -v ip >/dev/null 2>&1 || pkgs+=(iproute2)
  command -v git >/dev/null 2>&1 || pkgs+=(git)
  command -v curl >/dev/null 2>&1 || pkgs+=(curl)
  command -v openssl >/dev/null 2>&1 || pkgs+=(openssl)
  [ -x "$PY" ] || pkgs+=(python3)
  [ -x "$CHROMIUM" ] || pkgs+=(chromium)
  [ "${#pkgs[@]}" -eq 0 ] && return 0
  mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
  need_root "missing Debian packages: ${pkgs[*]}"
  log "installing: ${pkgs[*]}"
  # 'apt-get update' only when there are no package lists at all, or when the install
  # fails (stale lists: 404 or unknown package); then the install is tried once more.
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' 2>/dev/null | head -n1)" ]; then
    apt_update
  fi
  # Keep package maintainer scripts from starting services (sshd on :22, registry on :5000, ...).
  local policy_created=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; policy_created=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  local rc=0
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${pkgs[@]}" >>"$STATE/apt.log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    log "apt-get install failed ($rc); updating package lists and retrying"
    apt_update
    rc=0; apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${pkgs[@]}" >>"$STATE/apt.log" 2>&1 || rc=$?
  fi
  if [ "$policy_created" = 1 ]; then rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
  [ "$rc" -eq 0 ] || { tail -n 30 "$STATE/apt.log" >&2; die "apt-get install ${pkgs[*]} failed (log: $STATE/apt.log)"; }
  ready "packages installed: ${pkgs[*]}"
}

# ---------------------------------------------------------------- 1. docker engine
engine_up() { docker -H "$1" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

ensure_docker1() {
  if engine_up "$D1_HOST"; then
    # docker0 vanishes when another dockerd starts with --bridge=none in this netns; the
    # default bridge network is then broken (user networks such as compose's still work).
    # Not restarted automatically: that would kill the containers running there.
    [ -e /sys/class/net/docker0 ] || ! docker -H "$D1_HOST" network inspect bridge >/dev/null 2>&1 ||
      log "WARNING: engine 1 has lost its docker0 bridge ('docker run' on the default network fails); 'scripts/testenv.sh down && scripts/testenv.sh up' restarts it"
    ready "docker engine 1 at $D1_HOST ($(docker -H "$D1_HOST" version --format '{{.Server.Version}}'))"; return
  fi
  [ "$IS_ROOT" = 1 ] || die "no Docker engine answers on $D1_SOCK. Start one (as root: 'apt-get install -y docker.io && dockerd &', or run 'sudo scripts/testenv.sh up'), or make $D1_SOCK reachable for your user."
  command -v dockerd >/dev/null 2>&1 || die "dockerd is missing even after installing docker.io"
  mkdir -p "$D1_DIR"
  local pid; pid="$(pid_from "$D1_DIR/dockerd.pid")"
  if ! pid_matches "$pid" dockerd; then
    log "starting dockerd (engine 1, log $D1_DIR/dockerd.log)"
    start_bg "$D1_DIR/dockerd.pid" "$D1_DIR/dockerd.log" \
      dockerd --host "$D1_HOST" --pidfile "$D1_DIR/dockerd.pid.self" \
        --default-address-pool "$D1_POOL"
  fi
  wait_until 60 "docker engine 1 on $D1_SOCK" "$D1_DIR/dockerd.log" \
    bash -c "pid_ok() { kill -0 \$(cat '$D1_DIR/dockerd.pid') 2>/dev/null; }; pid_ok || exit 0; docker -H '$D1_HOST' version --format '{{.Server.Version}}'"
  engine_up "$D1_HOST" || { tail -n 30 "$D1_DIR/dockerd.log" >&2; die "dockerd (engine 1) exited; see $D1_DIR/dockerd.log"; }
  ready "docker engine 1 at $D1_HOST ($(docker -H "$D1_HOST" version --format '{{.Server.Version}}'), started by testenv)"
}

# ---------------------------------------------------------------- 2. second engine
ensure_docker2() {
  if engine_up "$D2_HOST"; then
    ready "docker engine 2 at $D2_HOST"; return
  fi
  need_root "docker engine 2 is not running and starting dockerd needs root"
  mkdir -p "$D2_DIR/data" "$D2_EXEC"
  if [ ! -e "/sys/class/net/$D2_BRIDGE" ]; then ip link add "$D2_BRIDGE" type bridge; fi
  ip -4 addr show dev "$D2_BRIDGE" | grep -q "inet $D2_BRIDGE_CIDR" || ip addr add "$D2_BRIDGE_CIDR" dev "$D2_BRIDGE"
  ip link set "$D2_BRIDGE" up
  local pid; pid="$(pid_from "$D2_DIR/dockerd.pid")"
  if ! pid_matches "$pid" dockerd; then
    rm -f "$D2_SOCK"
    log "starting dockerd (engine 2, log $D2_DIR/dockerd.log)"
    start_bg "$D2_DIR/dockerd.pid" "$D2_DIR/dockerd.log" \
      dockerd --data-root "$D2_DIR/data" --exec-root "$D2_EXEC" \
        --pidfile "$D2_DIR/dockerd.pid.self" --host "$D2_HOST" \
        --bridge="$D2_BRIDGE" --default-address-pool "$D2_POOL" \
        --iptables=false --ip-masq=false --ip-forward=false \
        --cgroup-parent=/conops-d2
  fi
  wait_until 60 "docker engine 2 on $D2_SOCK" "$D2_DIR/dockerd.log" \
    bash -c "kill -0 \$(cat '$D2_DIR/dockerd.pid') 2>/dev/null || exit 0; docker -H '$D2_HOST' version --format '{{.Server.Version}}'"
  engine_up "$D2_HOST" || { tail -n 30 "$D2_DIR/dockerd.log" >&2; die "dockerd (engine 2) exited; see $D2_DIR/dockerd.log"; }
  ready "docker engine 2 at $D2_HOST (started by testenv)"
}

# ---------------------------------------------------------------- 3. images
build_images_engine1() {
  local h=$D1_HOST dir="$STATE/images"
  if ! docker -H "$h" image inspect "$IMG_BUSYBOX" >/dev/null 2>&1; then
    local bb; bb="$(dpkg -L busybox-static | grep -E '/bin/busybox$' | head -n1)"
    [ -x "$bb" ] || die "static busybox binary not found (package busybox-static)"
    rm -rf "$dir/busybox-root"; mkdir -p "$dir/busybox-root"/{bin,tmp,www,etc}
    cp "$bb" "$dir/busybox-root/bin/busybox"
    local a
    # note: busybox 1.35 (Debian) 'wget -T N' segfaults; use 'timeout N wget ...' instead
    for a in sh sleep httpd env echo cat wget nc ls seq printf true false kill yes head date \
             timeout grep tail ps mkdir rm touch test [ hostname id; do
      ln -s busybox "$dir/busybox-root/bin/$a"
    done
    chmod 1777 "$dir/busybox-root/tmp"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/busybox-root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/busybox-root/etc/group"
    tar --owner=0 --group=0 --numeric-owner -C "$dir/busybox-root" -c . |
      docker -H "$h" import --change 'ENV PATH=/bin' --change 'CMD ["sh"]' - "$IMG_BUSYBOX" >/dev/null
    log "imported $IMG_BUSYBOX"
  fi
  local v
  for v in 1 2; do
    if ! docker -H "$h" image inspect "conops-test/web:$v" >/dev/null 2>&1; then
      mkdir -p "$dir/web-$v"
      printf 'v%s\n' "$v" >"$dir/web-$v/index.html"
      cat >"$dir/web-$v/Dockerfile" <<EOF
FROM $IMG_BUSYBOX
COPY index.html /www/index.html
EXPOSE 8080
CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]
EOF
      docker -H "$h" build -q -t "conops-test/web:$v" "$dir/web-$v" >/dev/null 2>"$dir/web-$v/build.log" ||
        { cat "$dir/web-$v/build.log" >&2; die "docker build conops-test/web:$v failed"; }
      log "built conops-test/web:$v"
    fi
  done
}

ensure_images() {
  local all=("$IMG_BUSYBOX" "$IMG_WEB1" "$IMG_WEB2")
  if ! docker -H "$D1_HOST" image inspect "${all[@]}" >/dev/null 2>&1; then
    build_images_engine1
  fi
  if ! docker -H "$D2_HOST" image inspect "${all[@]}" >/dev/null 2>&1; then
    # copy instead of building twice: same image IDs on both engines
    docker -H "$D1_HOST" save "${all[@]}" | docker -H "$D2_HOST" load >/dev/null
    log "copied test images to engine 2"
  fi
  ready "images ${all[*]} on both engines"
}

# ---------------------------------------------------------------- 4. registries
write_registry_config() { # name port authblock
  local name=$1 port=$2 auth=$3 d="$REG_DIR/$1"
  mkdir -p "$d/data"
  cat >"$d/config.yml.new" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $d/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: conops-test-http-secret-$name
  headers:
    X-Content-Type-Options: [nosniff]
$auth
EOF
  mv "$d/config.yml.new" "$d/config.yml"
}

http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" || true; }

start_registry() { # name port expected_code
  local name=$1 port=$2 want=$3 d="$REG_DIR/$1"
  if port_open "$port"; then
    [ "$(http_code "http://127.0.0.1:$port/v2/")" = "$want" ] ||
      die "port $port is taken by something that is not the $name test registry"
    return
  fi
  start_bg "$d/registry.pid" "$d/registry.log" docker-registry serve "$d/config.yml"
  wait_until 30 "registry $name on 127.0.0.1:$port" "$d/registry.log" port_open "$port"
}

ensure_token_material() {
  local t="$REG_DIR/token"
  mkdir -p "$t"
  if [ ! -s "$t/token.key" ] || [ ! -s "$t/token.crt" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=conops-test-token" \
      -keyout "$t/token.key" -out "$t/token.crt" 2>/dev/null
    chmod 600 "$t/token.key"
  fi
}

start_tokenserver() {
  local t="$REG_DIR/token"
  if port_open "$TOKEN_PORT"; then
    [ "$(http_code "http://127.0.0.1:$TOKEN_PORT/healthz")" = 200 ] ||
      die "port $TOKEN_PORT is taken by something that is not the test token server"
    return
  fi
  start_bg "$t/tokenserver.pid" "$t/tokenserver.log" \
    "$PY" "$SCRIPT_DIR/tokenserver.py" --listen 127.0.0.1 --port "$TOKEN_PORT" \
      --key "$t/token.key" --cert "$t/token.crt" --issuer "$REG_ISSUER" --service "$REG_SERVICE" \
      --user "$REG_USER" --password "$REG_TOKEN_PASSWORD"
  wait_until 20 "token server on 127.0.0.1:$TOKEN_PORT" "$t/tokenserver.log" port_open "$TOKEN_PORT"
}

bearer_token() { # scope
  curl -sf --max-time 5 -u "$REG_USER:$REG_TOKEN_PASSWORD" \
    "$TOKEN_REALM?service=$REG_SERVICE&scope=$1" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

# manifest_code PORT AUTHARGS...: HEAD of the pushed test tag with all four Accept types
manifest_code() {
  local port=$1; shift
  http_code -I "${ACCEPT_ALL[@]}" "$@" "http://127.0.0.1:$port/v2/$PUSH_REPO/manifests/1"
}

# pushed_is_current PORT: the registry's tag was pushed from the current local web:1
pushed_is_current() {
  [ "$(cat "$REG_DIR/pushed-$1.id" 2>/dev/null || true)" = "$WEB1_ID" ]
}

push_test_image() { # port user password (user empty: anonymous)
  local port=$1 user=$2 pw=$3 ref="127.0.0.1:$1/$PUSH_REPO:1"
  if [ -n "$user" ]; then
    printf '%s' "$pw" | docker -H "$D1_HOST" login -u "$user" --password-stdin "127.0.0.1:$port" >/dev/null 2>&1 ||
      die "docker login 127.0.0.1:$port failed"
  fi
  docker -H "$D1_HOST" tag "$IMG_WEB1" "$ref"
  local out rc=0
  out="$(docker -H "$D1_HOST" push "$ref" 2>&1)" || rc=$?
  docker -H "$D1_HOST" rmi "$ref" >/dev/null 2>&1 || true
  [ -n "$user" ] && docker -H "$D1_HOST" logout "127.0.0.1:$port" >/dev/null 2>&1 || true
  [ "$rc" -eq 0 ] || { printf '%s\n' "$out" >&2; die "docker push $ref failed"; }
  printf '%s\n' "$WEB1_ID" >"$REG_DIR/pushed-$port.id"
  log "pushed $ref"
}

ensure_registries() {
  mkdir -p "$REG_DIR"
  [ -s "$REG_DIR/htpasswd" ] || htpasswd -Bbn "$REG_USER" "$REG_BASIC_PASSWORD" >"$REG_DIR/htpasswd"
  ensure_token_material
  write_registry_config anon 5001 ""
  write_registry_config basic 5002 "auth:
  htpasswd:
    realm: conops-test-registry
    path: $REG_DIR/htpasswd"
  write_registry_config bearer 5003 "auth:
  token:
    realm: $TOKEN_REALM
    service: $REG_SERVICE
    issuer: $REG_ISSUER
    rootcertbundle: $REG_DIR/token/token.crt"
  start_tokenserver
  start_registry anon 5001 200
  start_registry basic 5002 401
  start_registry bearer 5003 401

  local scope="repository:$PUSH_REPO:pull"
  WEB1_ID="$(docker -H "$D1_HOST" image inspect -f '{{.Id}}' "$IMG_WEB1")"
  { pushed_is_current 5001 && [ "$(manifest_code 5001)" = 200 ]; } || push_test_image 5001 "" ""
  { pushed_is_current 5002 && [ "$(manifest_code 5002 -u "$REG_USER:$REG_BASIC_PASSWORD")" = 200 ]; } ||
    push_test_image 5002 "$REG_USER" "$REG_BASIC_PASSWORD"
  local tok; tok="$(bearer_token "$scope")" || die "token server did not issue a token"
  if ! pushed_is_current 5003 || [ "$(manifest_code 5003 -H "Authorization: Bearer $tok")" != 200 ]; then
    push_test_image 5003 "$REG_USER" "$REG_TOKEN_PASSWORD"
    tok="$(bearer_token "$scope")"
  fi
  # verify: all three answer the manifest (with digest) to the right credentials
  local c
  c="$(manifest_code 5001)"; [ "$c" = 200 ] || die "anonymous registry: HEAD manifest answered $c"
  c="$(manifest_code 5002 -u "$REG_USER:$REG_BASIC_PASSWORD")"; [ "$c" = 200 ] || die "basic registry: HEAD manifest answered $c"
  c="$(manifest_code 5002)"; [ "$c" = 401 ] || die "basic registry without credentials answered $c, expected 401"
  c="$(manifest_code 5003 -H "Authorization: Bearer $tok")"; [ "$c" = 200 ] || die "bearer registry: HEAD manifest with token answered $c"
  ready "registries 127.0.0.1:5001 (anonymous), :5002 (basic), :5003 (bearer, token server :$TOKEN_PORT); $PUSH_REPO:1 pushed"
}

# ---------------------------------------------------------------- 5. git servers
ssh_cmd() {
  echo "ssh -i $SSH_DIR/id_ed25519 -o UserKnownHostsFile=$SSH_DIR/known_hosts -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes"
}

ensure_ssh_material() {
  mkdir -p "$SSH_DIR"
  [ -s "$SSH_DIR/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C conops-test-host -f "$SSH_DIR/ssh_host_ed25519_key"
  [ -s "$SSH_DIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C conops-test-client -f "$SSH_DIR/id_ed25519"
  chmod 600 "$SSH_DIR/ssh_host_ed25519_key" "$SSH_DIR/id_ed25519"
  cp "$SSH_DIR/id_ed25519.pub" "$SSH_DIR/authorized_keys"
  printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$SSH_DIR/ssh_host_ed25519_key.pub")" >"$SSH_DIR/known_hosts"
  cat >"$SSH_DIR/sshd_config" <<EOF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $SSH_DIR/ssh_host_ed25519_key
PidFile $SSH_DIR/sshd.pid
AuthorizedKeysFile $SSH_DIR/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PrintMotd no
AcceptEnv GIT_PROTOCOL
Subsystem sftp internal-sftp
LogLevel ERROR
EOF
}

git_verify() {
  local name="testenv-selftest" work; work="$(mktemp -d)"
  rm -rf "${GIT_ROOT:?}/$name.git"
  git init -q --bare -b main "$GIT_ROOT/$name.git"
  (
    set -e
    cd "$work"
    git init -q -b main src; cd src
    git -c user.name=t -c user.email=t@t commit -q --allow-empty -m one
    export GIT_TERMINAL_PROMPT=0 GIT_SSH_COMMAND; GIT_SSH_COMMAND="$(ssh_cmd)"
    git push -q "git://127.0.0.1:9418/$name.git" main main:via-daemon
    git push -q "http://$GIT_HTTP_USER:$GIT_HTTP_PASSWORD@127.0.0.1:9080/$name.git" main:via-http
    git push -q "ssh://$(id -un)@127.0.0.1:$SSH_PORT$GIT_ROOT/$name.git" main:via-ssh
    cd "$work"
    git clone -q "git://127.0.0.1:9418/$name.git" c1
    git clone -q "http://$GIT_HTTP_USER:$GIT_HTTP_PASSWORD@127.0.0.1:9080/$name.git" c2
    git clone -q "ssh://$(id -un)@127.0.0.1:$SSH_PORT$GIT_ROOT/$name.git" c3
    for c in c1 c2 c3; do
      for b in via-daemon via-http via-ssh; do git -C "$c" rev-parse -q --verify "origin/$b" >/dev/null; done
    done
    ! git ls-remote "http://127.0.0.1:9080/$name.git" >/dev/null 2>&1   # no credentials: refused
  ) >&2 || { rm -rf "$work"; die "git self-test (push/clone via git://, http://, ssh://) failed"; }
  rm -rf "$work" "${GIT_ROOT:?}/$name.git"
}

ensure_git() {
  mkdir -p "$GIT_ROOT"
  local started=0
  # git daemon
  if port_open 9418; then
    pid_matches "$(pid_from "$GIT_DIR_STATE/daemon.pid")" git-daemon ||
      log "note: port 9418 is open but not by this script's git daemon; using it as is"
  else
    start_bg "$GIT_DIR_STATE/daemon.pid" "$GIT_DIR_STATE/daemon.log" \
      env GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0='*' \
        "$(git --exec-path)/git-daemon" --export-all --enable=receive-pack --base-path="$GIT_ROOT" \
        --listen=127.0.0.1 --port=9418 --reuseaddr --informative-errors "$GIT_ROOT"
    started=1
  fi
  # smart HTTP
  if port_open 9080; then
    [ "$(http_code "http://127.0.0.1:9080/x.git/info/refs?service=git-upload-pack")" = 401 ] ||
      die "port 9080 is taken by something that is not the test git HTTP server"
  else
    start_bg "$GIT_DIR_STATE/http.pid" "$GIT_DIR_STATE/http.log" \
      "$PY" "$SCRIPT_DIR/githttp.py" --listen 127.0.0.1 --port 9080 --root "$GIT_ROOT" \
        --user "$GIT_HTTP_USER" --password "$GIT_HTTP_PASSWORD"
    started=1
  fi
  # sshd
  if port_open "$SSH_PORT" && [ -s "$SSH_DIR/known_hosts" ]; then
    :
  else
    port_open "$SSH_PORT" && die "port $SSH_PORT is taken by something that is not the test sshd"
    need_root "sshd needs root"
    ensure_ssh_material
    mkdir -p /run/sshd; chmod 755 /run/sshd
    /usr/sbin/sshd -t -f "$SSH_DIR/sshd_config" || die "sshd config test failed"
    /usr/sbin/sshd -f "$SSH_DIR/sshd_config" -E "$SSH_DIR/sshd.log" </dev/null >/dev/null 2>&1
    started=1
  fi
  wait_until 20 "git daemon on 127.0.0.1:9418" "$GIT_DIR_STATE/daemon.log" port_open 9418
  wait_until 20 "git HTTP on 127.0.0.1:9080" "$GIT_DIR_STATE/http.log" port_open 9080
  wait_until 20 "sshd on 127.0.0.1:$SSH_PORT" "$SSH_DIR/sshd.log" port_open "$SSH_PORT"
  if [ "$started" = 1 ] || [ ! -f "$GIT_DIR_STATE/verified" ]; then
    git_verify
    touch "$GIT_DIR_STATE/verified"
  fi
  ready "git servers: git://127.0.0.1:9418, http://127.0.0.1:9080 (basic auth), ssh://$(id -un)@127.0.0.1:$SSH_PORT; repos in $GIT_ROOT"
}

# ---------------------------------------------------------------- 6. chromium
ensure_chromium() {
  [ -x "$CHROMIUM" ] || die "$CHROMIUM is missing"
  ready "chromium at $CHROMIUM"
}

# ---------------------------------------------------------------- env file
write_env() {
  mkdir -p "$(dirname "$ENV_FILE")"
  {
    echo "# written by scripts/testenv.sh; test-only credentials"
    printf 'export %s=%q\n' \
      CONOPS_TEST_STATE "$STATE" \
      CONOPS_TEST_DOCKER_HOST "$D1_HOST" \
      CONOPS_TEST_DOCKER2_HOST "$D2_HOST" \
      CONOPS_TEST_IMAGE_BUSYBOX "$IMG_BUSYBOX" \
      CONOPS_TEST_IMAGE_WEB1 "$IMG_WEB1" \
      CONOPS_TEST_IMAGE_WEB2 "$IMG_WEB2" \
      CONOPS_TEST_REGISTRY_ANON "127.0.0.1:5001" \
      CONOPS_TEST_REGISTRY_BASIC "127.0.0.1:5002" \
      CONOPS_TEST_REGISTRY_BEARER "127.0.0.1:5003" \
      CONOPS_TEST_REGISTRY_REPO "$PUSH_REPO" \
      CONOPS_TEST_REGISTRY_USER "$REG_USER" \
      CONOPS_TEST_REGISTRY_BASIC_PASSWORD "$REG_BASIC_PASSWORD" \
      CONOPS_TEST_REGISTRY_BEARER_PASSWORD "$REG_TOKEN_PASSWORD" \
      CONOPS_TEST_REGISTRY_TOKEN_REALM "$TOKEN_REALM" \
      CONOPS_TEST_REGISTRY_TOKEN_SERVICE "$REG_SERVICE" \
      CONOPS_TEST_GIT_ROOT "$GIT_ROOT" \
      CONOPS_TEST_GIT_DAEMON "git://127.0.0.1:9418" \
      CONOPS_TEST_GIT_HTTP "http://127.0.0.1:9080" \
      CONOPS_TEST_GIT_HTTP_USER "$GIT_HTTP_USER" \
      CONOPS_TEST_GIT_HTTP_PASSWORD "$GIT_HTTP_PASSWORD" \
      CONOPS_TEST_GIT_SSH "ssh://$(id -un)@127.0.0.1:$SSH_PORT" \
      CONOPS_TEST_SSH_KEY "$SSH_DIR/id_ed25519" \
      CONOPS_TEST_SSH_KNOWN_HOSTS "$SSH_DIR/known_hosts" \
      CONOPS_TEST_CHROMIUM "$CHROMIUM"
  } >"$ENV_FILE.new"
  mv "$ENV_FILE.new" "$ENV_FILE"
}

cmd_up() {
  mkdir -p "$STATE" "$DOCKER_CONFIG"
  ensure_packages
  ensure_docker1
  ensure_docker2
  ensure_images
  ensure_registries
  ensure_git
  ensure_chromium
  write_env
  log "up in $(awk -v s="$START_TIME" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}') s; env file: $ENV_FILE"
  grep '^export ' "$ENV_FILE"
}

# Only what `scripts/run.sh` needs: engine 1 and the local demo images (no registries, git servers or browser).
cmd_engine() {
  mkdir -p "$STATE" "$DOCKER_CONFIG"
  local pkgs=()
  command -v dockerd >/dev/null 2>&1 || pkgs+=(docker.io)
  dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || pkgs+=(busybox-static)
  command -v git >/dev/null 2>&1 || pkgs+=(git)
  if [ "${#pkgs[@]}" -gt 0 ]; then
    need_root "missing Debian packages: ${pkgs[*]}"
    log "installing: ${pkgs[*]}"
    [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' 2>/dev/null | head -n1)" ] || apt_update
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${pkgs[@]}" >>"$STATE/apt.log" 2>&1 ||
      { apt_update; apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${pkgs[@]}" >>"$STATE/apt.log" 2>&1; } ||
      die "apt-get install ${pkgs[*]} failed (log: $STATE/apt.log)"
  fi
  ensure_docker1
  docker -H "$D1_HOST" image inspect "$IMG_BUSYBOX" "$IMG_WEB1" "$IMG_WEB2" >/dev/null 2>&1 || build_images_engine1
  ready "engine and demo images"
}

cmd_down() {
  local n
  for n in anon basic bearer; do stop_pid "$REG_DIR/$n/registry.pid" docker-registry 10; done
  stop_pid "$REG_DIR/token/tokenserver.pid" tokenserver.py 10
  stop_pid "$GIT_DIR_STATE/http.pid" githttp.py 10
  stop_pid "$GIT_DIR_STATE/daemon.pid" git-daemon 10
  stop_pid "$SSH_DIR/sshd.pid" sshd 10
  rm -f "$GIT_DIR_STATE/verified"
  stop_pid "$D2_DIR/dockerd.pid" dockerd 60
  if [ -e "/sys/class/net/$D2_BRIDGE" ] && ! engine_up "$D2_HOST"; then
    ip link del "$D2_BRIDGE" 2>/dev/null && log "removed bridge $D2_BRIDGE" || true
  fi
  stop_pid "$D1_DIR/dockerd.pid" dockerd 60
  rm -f "$ENV_FILE"
  log "down"
}

cmd_env() {
  [ -f "$ENV_FILE" ] || die "$ENV_FILE does not exist; run 'scripts/testenv.sh up' first"
  cat "$ENV_FILE"
}

case "${1:-up}" in
  up) cmd_up ;;
  engine) cmd_engine ;;
  down) cmd_down ;;
  env) cmd_env ;;
  -h|--help|help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command '$1' (use up, down or env)" ;;
esac
