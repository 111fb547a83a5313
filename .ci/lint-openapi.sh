#!/usr/bin/env bash
# Lint both OpenAPI documents (openapi.yaml, conformance/control.yaml) with Redocly CLI, using the
# rules in redocly.yaml at the repo root. Installs the CLI from the npm registry into
# .ci/node_modules on first use (one self-contained package, about 15 MB, ~1 s); later runs reuse it.
#
#   bash .ci/lint-openapi.sh                 # install if needed, then lint; exit status = the linter's
#   bash .ci/lint-openapi.sh --install-only  # install if needed, nothing else (.ci/run does this, and
#                                            # tests/test_openapi.py then runs the linter itself)
#   bash .ci/lint-openapi.sh FILE...         # lint only these files (extra arguments go to `redocly lint`)
#
# The version is pinned exactly, not just to major 2: 2.77.0 runs on this machine's Node.js 20,
# while Redocly announces that its later releases need Node.js >= 22.12; and an exact pin keeps the
# rule set -- and so the verdict -- from changing under us. REDOCLY_CLI_VERSION=... tries another.
set -euo pipefail

version="${REDOCLY_CLI_VERSION:-2.77.0}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$root/.ci"
redocly="$prefix/node_modules/.bin/redocly"

install_only=false
if [[ "${1:-}" == "--install-only" ]]; then
    install_only=true
    shift
fi

command -v npm >/dev/null || { echo "lint-openapi: npm is not installed (Node.js >= 20.19 is needed)" >&2; exit 2; }

installed="$("$redocly" --version 2>/dev/null | tail -n 1 || true)"
if [[ "$installed" != "$version" ]]; then
    echo "lint-openapi: installing @redocly/cli@$version into .ci/node_modules" >&2
    # --no-save/--no-package-lock: write no package.json or lock file into .ci; the pin above is the record.
    npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
        "@redocly/cli@$version" >&2
fi
if $install_only; then
    exit 0
fi

# No usage telemetry, no update check: CI reaches only the package registries.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
cd "$root"
# With no file arguments Redocly lints every API listed under `apis:` in redocly.yaml.
exec "$redocly" lint --format=stylish "$@"
