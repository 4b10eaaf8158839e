#!/usr/bin/env bash
# Installs the ConOps agent as a systemd service on a Docker host, from the values of the console's
# join command, or removes it again.
#
#   install-agent.sh --console-url URL --join-token TOKEN [--fingerprint SHA256] [--host-name NAME]
#                    (the host's name comes with the join token; --host-name only overrides it)
#                    [--binary PATH] [--no-start]
#   install-agent.sh --uninstall [--purge]     (--purge also deletes the agent's identity and state)
#
# --binary defaults to ./conops-agent next to this script (deploy/publish.sh agent builds one).
# --root DIR installs into another root file system (for packaging and tests); nothing is started then.
# The join token is written to /etc/conops-agent/agent.env, readable by root only, and never printed.
set -euo pipefail

root=""
console_url=""
join_token=""
fingerprint=""
host_name=""
binary="$(dirname "$0")/conops-agent"
start=1
action=install
purge=0

die() { echo "install-agent: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --console-url) console_url="${2:?}"; shift 2 ;;
    --join-token) join_token="${2:?}"; shift 2 ;;
    --fingerprint) fingerprint="${2:?}"; shift 2 ;;
    --host-name) host_name="${2:?}"; shift 2 ;;
    --binary) binary="${2:?}"; shift 2 ;;
    --root) root="${2:?}"; start=0; shift 2 ;;
    --no-start) start=0; shift ;;
    --uninstall) action=uninstall; shift ;;
    --purge) purge=1; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

bin="$root/usr/local/bin/conops-agent"
etc="$root/etc/conops-agent"
unit="$root/etc/systemd/system/conops-agent.service"
state="$root/var/lib/conops-agent"
systemd_running() { [ -z "$root" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; }

if [ "$action" = uninstall ]; then
  if systemd_running; then
    systemctl disable --now conops-agent.service 2>/dev/null || true
  fi
  rm -f "$unit" "$bin"
  rm -rf "$etc"
  if [ "$purge" = 1 ]; then
    rm -rf "$state"
  fi
  systemd_running && systemctl daemon-reload
  echo "ConOps agent removed.$([ "$purge" = 1 ] || echo " Its state in /var/lib/conops-agent is kept (--purge deletes it).")"
  exit 0
fi

[ -n "$console_url" ] || die "--console-url is required (copy it from the console's join command)"
case "$console_url" in http://*|https://*) ;; *) die "--console-url must start with http:// or https://, got '$console_url'" ;; esac
[ -n "$join_token" ] || die "--join-token is required (copy it from the console's join command)"
[ -x "$binary" ] || die "agent binary not found or not executable: $binary (build it with deploy/publish.sh agent)"
[ -n "$root" ] || [ "$(id -u)" = 0 ] || die "run as root (or with sudo)"
# Values go into a systemd environment file: refuse what would need quoting there.
for value in "$console_url" "$join_token" "$fingerprint" "$host_name"; do
  case "$value" in *[[:space:]\"\'\\\$\`]*) die "values must not contain spaces, quotes, backslashes, \$ or backticks" ;; esac
done

# A system user that can reach the engine socket through group docker, and nothing else.
if [ -z "$root" ]; then
  if ! id conops-agent >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/conops-agent --no-create-home --shell /usr/sbin/nologin --user-group conops-agent
  fi
  if getent group docker >/dev/null; then
    usermod -aG docker conops-agent
  else
    echo "install-agent: warning: no group 'docker'; give conops-agent access to the engine socket yourself" >&2
  fi
fi

install -d -m 0755 "$(dirname "$bin")" "$(dirname "$unit")"
install -m 0755 "$binary" "$bin"
install -m 0644 "$(dirname "$0")/conops-agent.service" "$unit"
install -d -m 0700 "$etc"
umask 077
{
  echo "# Written by install-agent.sh from the console's join command."
  echo "ConOps__Agent__ConsoleUrl=$console_url"
  echo "ConOps__Agent__JoinToken=$join_token"
  echo "ConOps__Agent__CertificateFingerprint=$fingerprint"
  if [ -n "$host_name" ]; then echo "ConOps__Agent__HostName=$host_name"; fi
} >"$etc/agent.env.tmp"
mv "$etc/agent.env.tmp" "$etc/agent.env"
chmod 0600 "$etc/agent.env"

if [ "$start" = 1 ] && systemd_running; then
  systemctl daemon-reload
  systemctl enable --now conops-agent.service
  echo "ConOps agent installed and started; it dials $console_url. Logs: journalctl -u conops-agent -f"
else
  echo "ConOps agent installed (not started). Start it: systemctl daemon-reload && systemctl enable --now conops-agent"
fi
