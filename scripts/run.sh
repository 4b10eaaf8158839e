#!/usr/bin/env bash
# Runs ConOps on this machine: the console (UI and API on http://127.0.0.1:8080, agents on :8081),
# a local agent for the local Docker engine in the same process, and SQLite in .conops/data.
# On first run it starts a Docker engine (installing Debian's docker.io when run as root), builds
# the local demo images and creates a demo Git repository in .conops/demo that the "demo" app follows:
# edit .conops/demo/repo/compose.yaml, commit, and watch the host converge.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

scripts/testenv.sh engine

demo="$root/.conops/demo/repo"
if [ ! -d "$demo/.git" ]; then
  mkdir -p "$demo"
  git -C "$demo" init -q -b main
  cat >"$demo/compose.yaml" <<'YAML'
# The demo app: it serves its GREETING on http://127.0.0.1:18080. Change it, commit, and ConOps deploys it.
services:
  web:
    image: conops-test/web:1
    pull_policy: never   # built on this machine by scripts/testenv.sh, in no registry: nothing to resolve or pull
    command: ["sh", "-c", 'echo "$$GREETING" > /tmp/index.html && exec httpd -f -p 8080 -h /tmp']
    environment:
      GREETING: hello
    ports:
      - "127.0.0.1:18080:8080"
    labels:
      example.team: demo
YAML
  # So that `git commit` in the demo repository works where Git has no user name and e-mail yet.
  if ! git -C "$demo" config user.email >/dev/null; then
    git -C "$demo" config user.name "ConOps demo"
    git -C "$demo" config user.email demo@conops.invalid
  fi
  git -C "$demo" add compose.yaml
  git -C "$demo" -c user.name=ConOps -c user.email=demo@conops.invalid commit -q -m "Demo app"
  echo "[run] created the demo repository $demo"
fi

export ConOps__LocalAgent__Enabled=true
export ConOps__Apps__0__Name=demo
export ConOps__Apps__0__RepoUrl="$demo"
export ConOps__Apps__0__Hosts__0=local
export ConOps__Console__DataDirectory="$root/.conops/data"
# Optional admin API token for scripts (stored hashed by the console).
[ -z "${CONOPS_ADMIN_TOKEN:-}" ] || export ConOps__Auth__BootstrapToken="$CONOPS_ADMIN_TOKEN"
echo "[run] building and starting the console (the first build takes a minute or two)"
echo "[run] ConOps console on http://127.0.0.1:8080 (Ctrl+C stops it; containers keep running); the demo app answers on http://127.0.0.1:18080"
echo "[run] first start: open http://127.0.0.1:8080/setup and enter the one-time setup code the console prints below"
exec dotnet run --project src/Console -c Release -- "$@"
