#!/usr/bin/env bash
# Prism (Stoplight's mock server) for the test that convicts a mock of our own openapi.yaml
# (tests/suite/test_prism.py): a stateless mock that accepts any bearer token must fail AUTH-02.
# Installs the CLI from the npm registry into .ci/prism/node_modules on first use (~185 packages,
# ~20 s); later runs reuse it. Its own prefix, not .ci/node_modules: an npm install without a
# package.json prunes what it does not know, which would remove Redocly (.ci/lint-openapi.sh).
#
#   bash .ci/prism.sh --install-only          # install if needed, nothing else
#   bash .ci/prism.sh mock -h 127.0.0.1 -p 4010 openapi.yaml   # anything else goes to `prism`
#
# The version is pinned exactly: 5.14.2 runs on Node.js >= 18.20.1 (this machine has 20), while the
# later 5.16 asks for Node.js >= 24.18. PRISM_CLI_VERSION=... tries another.
set -euo pipefail

version="${PRISM_CLI_VERSION:-5.14.2}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$root/.ci/prism"
prism="$prefix/node_modules/.bin/prism"

command -v npm >/dev/null || { echo "prism: npm is not installed (Node.js >= 18.20 is needed)" >&2; exit 2; }

installed="$("$prism" --version 2>/dev/null | tail -n 1 || true)"
if [[ "$installed" != "$version" ]]; then
    echo "prism: installing @stoplight/prism-cli@$version into .ci/prism/node_modules" >&2
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
        "@stoplight/prism-cli@$version" >&2
fi
if [[ "${1:-}" == "--install-only" ]]; then
    exit 0
fi
exec "$prism" "$@"
