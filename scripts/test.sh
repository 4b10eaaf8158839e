#!/usr/bin/env bash
# Runs every test on real parts. Starts the test environment (Docker engines, registries, git servers,
# Chromium; installing Debian packages when run as root), checks formatting, builds with warnings as
# errors, then runs the unit and the integration tests. Prints "N passed, N failed" at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

set -a; eval "$(scripts/testenv.sh up)"; set +a

dotnet tool restore >/dev/null
dotnet build ConOps.sln -nologo -v minimal -clp:ErrorsOnly
dotnet format ConOps.sln --verify-no-changes --no-restore -v quiet || { echo "dotnet format found changes: run 'dotnet format ConOps.sln'"; exit 1; }

results="$(mktemp -d)"
status=0
for project in tests/ConOps.Tests tests/ConOps.IntegrationTests; do
  dotnet test "$project" --no-build -nologo --logger "trx;LogFilePrefix=$(basename "$project")" --results-directory "$results" "$@" || status=1
done

# One summary line over all test projects.
python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for f in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(f).getroot().find(".//{*}Counters")
    passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0))
    skipped += int(c.get("notExecuted", 0))
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
exit $status
