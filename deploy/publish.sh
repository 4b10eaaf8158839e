#!/usr/bin/env bash
# Publishes both programs for Linux into artifacts/publish/ with the SDK of this machine:
#   artifacts/publish/agent/conops-agent     the agent, one Native AOT binary (needs clang and zlib1g-dev)
#   artifacts/publish/console/conops-console the console, self-contained (no .NET runtime needed)
# The Dockerfiles' "prebuilt" stages copy these, for machines that cannot pull the .NET SDK image.
#
#   deploy/publish.sh [agent|console|all]     (RID defaults to linux-x64; set RID=linux-arm64 to cross-publish)
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
rid="${RID:-linux-x64}"
out="artifacts/publish"

if [ "$what" = all ] || [ "$what" = agent ]; then
  if ! command -v clang >/dev/null; then
    echo "Native AOT needs clang and zlib: apt-get install -y clang zlib1g-dev" >&2
    exit 1
  fi
  dotnet publish src/Agent -c Release -r "$rid" -o "$out/agent" -p:DebugType=none -nologo -v:q
  # The debug symbols stay out of the image; keep them next to it for crash analysis.
  rm -f "$out/agent/"*.dbg "$out/agent/"*.xml "$out/agent/"*.pdb
fi

if [ "$what" = all ] || [ "$what" = console ]; then
  dotnet publish src/Console -c Release -r "$rid" --self-contained -o "$out/console" -p:PublishAot=false -p:DebugType=none -nologo -v:q
  rm -f "$out/console/"*.pdb "$out/console/"*.xml
fi
ls -la "$out"/agent/conops-agent "$out"/console/conops-console 2>/dev/null || true
