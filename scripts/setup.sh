#!/usr/bin/env bash
# Install everything Landgrid needs, from nothing: system packages (PostgreSQL + PostGIS,
# GDAL tools, Node.js; with --test also QGIS's Python bindings for a client test and Chromium
# for the browser tests), the web pages' assets built from their npm lockfile, a Python >= 3.12,
# uv, and the locked Python environment in .venv.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1;36msetup\033[0m %s\n' "$*"; }
die() { printf '\033[1;31msetup: %s\033[0m\n' "$*" >&2; exit 1; }

# --- system packages --------------------------------------------------------------------
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
missing=()
[ -n "$(pg_bin)" ] || command -v initdb >/dev/null || missing+=(postgresql)
ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || missing+=(postgis)
command -v ogrinfo >/dev/null || missing+=(gdal-bin)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    [ -n "$(pg_bin)" ] || apt-get install -y -qq postgresql >/dev/null
    major=$(basename "$(dirname "$(pg_bin)")")
    apt-get install -y -qq "postgresql-${major}-postgis-3" gdal-bin >/dev/null
  else
    die "missing system packages: ${missing[*]}. On Debian/Ubuntu run as root:
    apt-get install postgresql postgresql-15-postgis-3 gdal-bin   (use your PostgreSQL major version)
or set DATABASE_URL to a PostgreSQL server with PostGIS."
  fi
fi
# With --test (make test): QGIS 3.22 for the headless client test (the system python3's
# bindings; Qt's offscreen platform comes with them). Without it that one test is skipped.
if [ "${1:-}" = "--test" ] && ! /usr/bin/python3 -c 'import qgis.core' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing system packages: python3-qgis (QGIS client test)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq python3-qgis >/dev/null ||
      say "could not install python3-qgis: the QGIS client test will be skipped"
  else
    say "python3-qgis not installed: the QGIS client test will be skipped (apt-get install python3-qgis)"
  fi
fi

# With --test: Debian's Chromium for the browser tests (tests/browser drive it through
# Playwright; no browser is downloaded). Without it they are skipped for a non-root user
# and fail for root, who should have had it installed here.
apt_updated=
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }
  apt-get install -y -qq "$@" >/dev/null
}
if [ "${1:-}" = "--test" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing system packages: chromium (browser tests)"
    apt_install chromium || die "could not install chromium, which the browser tests need"
  else
    say "chromium not installed: the browser tests will be skipped (apt-get install chromium)"
  fi
fi

# With --test: redis-server (the stack with several Prefect API processes) and Helm's
# template engine from Debian's Go packages (tests/ops render the Helm chart; Helm itself is
# in neither Debian nor PyPI). Without them those tests are skipped.
ops_missing=()
command -v redis-server >/dev/null || ops_missing+=(redis-server)
command -v go >/dev/null || ops_missing+=(golang-go)
[ -d /usr/share/gocode/src/github.com/Masterminds/sprig ] || ops_missing+=(golang-github-masterminds-sprig-dev)
[ -d /usr/share/gocode/src/github.com/ghodss/yaml ] || ops_missing+=(golang-github-ghodss-yaml-dev)
if [ "${1:-}" = "--test" ] && [ ${#ops_missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing system packages: ${ops_missing[*]} (operations tests)"
    apt_install "${ops_missing[@]}" || die "could not install ${ops_missing[*]}"
  else
    say "missing ${ops_missing[*]}: the operations tests that need them will be skipped"
  fi
fi

# --- web assets: Node.js >= 18 and npm, then npm ci + build only when stale ---------------
# The HTML pages' scripts, stylesheets and icons are served by us, built from the pinned
# lockfile into landgrid/web/static/dist (never committed, never fetched at run time).
node_ok() { node -e 'process.exit(+process.versions.node.split(".")[0] < 18 ? 1 : 0)' 2>/dev/null; }
if ! node_ok || ! command -v npm >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing system packages: nodejs npm (web assets)"
    { node_ok || apt_install nodejs; } && { command -v npm >/dev/null || apt_install npm; } &&
      node_ok || die "could not install Node.js >= 18 and npm"
  else
    die "missing Node.js >= 18 and npm (web assets): as root run apt-get install nodejs npm"
  fi
fi
ASSETS=landgrid/web/assets
STAMP=landgrid/web/static/dist/LICENSES.txt # written last by the build
if [ ! -f "$STAMP" ] || [ -n "$(find "$ASSETS/package-lock.json" "$ASSETS/build.mjs" "$ASSETS/src" \
  -newer "$STAMP" -print -quit)" ]; then
  if [ ! -f "$ASSETS/node_modules/.package-lock.json" ] ||
    [ "$ASSETS/package-lock.json" -nt "$ASSETS/node_modules/.package-lock.json" ]; then
    say "installing web assets' packages (npm ci)"
    (cd "$ASSETS" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  say "building web assets into landgrid/web/static/dist"
  (cd "$ASSETS" && node build.mjs >/dev/null)
fi

# --- Python >= 3.12 ---------------------------------------------------------------------
is_new_enough() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }
find_python() {
  # 3.12 first: the version the stack is verified on; pyenv's shims need PYENV_VERSION,
  # so its interpreters are looked up by path.
  local candidates=("${LANDGRID_PYTHON:-}" python3.12 python3.13 python3)
  if command -v pyenv >/dev/null; then
    candidates+=($(ls -d "$(pyenv root)"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -V))
  fi
  for c in "${candidates[@]}"; do
    [ -n "$c" ] || continue
    local path
    path=$(command -v "$c" 2>/dev/null) || continue
    if is_new_enough "$path"; then "$path" -c 'import sys; print(sys.executable)'; return 0; fi
  done
  return 1
}
PY=$(find_python) || die "no Python >= 3.12 found. Install one (e.g. apt-get install python3.12,
or pyenv install 3.12) or point LANDGRID_PYTHON at it."

# --- uv and the locked environment --------------------------------------------------------
if command -v uv >/dev/null; then UV=(uv); else
  "$PY" -m uv --version >/dev/null 2>&1 || { say "installing uv"; "$PY" -m pip install -q --user uv; }
  UV=("$PY" -m uv)
fi
"${UV[@]}" sync --frozen --quiet --python "$PY"
say "ready: $(.venv/bin/python --version) in .venv"
