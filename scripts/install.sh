#!/usr/bin/env bash
# Installs the built clawav (npm run build && npm run build:native first) as root's: the package
# under PREFIX/lib/clawav, owned by root and writable by nobody else, and `clawav` and `clawsudo`
# on PATH in PREFIX/bin. The agent, an unprivileged user, can run both and change neither.
# This is the small installer; the hardened one (a key the agent cannot reach) is issue 16's.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: sudo bash scripts/install.sh [--prefix DIR]

Installs this checkout's built clawav into DIR/lib/clawav (default DIR: /usr/local) and links
DIR/bin/clawav and DIR/bin/clawsudo to it. Run `npm ci && npm run build && npm run build:native`
first. Files are root's (directories 0755, files 0644, programs 0755); only the production
dependencies are copied. Running it again replaces the installed copy.
EOF
}

prefix=/usr/local
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "install: --prefix needs a folder" >&2; exit 64; }; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install: unknown argument '$1' (see --help)" >&2; exit 64 ;;
  esac
done
case "$prefix" in /*) ;; *) echo "install: --prefix must be an absolute path, not '$prefix'" >&2; exit 64 ;; esac

if [ "$(id -u)" -ne 0 ]; then
  echo "install: run as root (sudo bash scripts/install.sh): the installed files must be root's" >&2
  exit 77
fi
src="$(cd "$(dirname "$0")/.." && pwd)"
for f in dist/cli/clawav.js dist/cli/clawsudo.js node_modules; do
  if [ ! -e "$src/$f" ]; then
    echo "install: $src/$f is missing; run npm ci && npm run build && npm run build:native first" >&2
    exit 66
  fi
done
if [ ! -e "$src/native/preload/build/libclawguard.so" ]; then
  echo "install: note: native parts are not built (npm run build:native); clawav exec and the preload guard will be unavailable" >&2
fi

lib="$prefix/lib/clawav"
bin="$prefix/bin"
install -d -o root -g root -m 0755 "$prefix" "$prefix/lib" "$bin"
# Build the new copy beside the old one and swap it in, so a failed install leaves the old intact.
stage="$(mktemp -d "$prefix/lib/.clawav.new.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
echo "install: copying clawav into $lib"
for p in package.json dist policies profiles patterns schemas examples native proto; do
  if [ -e "$src/$p" ]; then cp -R "$src/$p" "$stage/$p"; fi
done
# Only what runs: the production dependencies, as npm resolves them.
mkdir -p "$stage/node_modules"
(cd "$src" && npm ls --omit=dev --all --parseable 2>/dev/null) | while IFS= read -r dep; do
  case "$dep" in
    "$src/node_modules/"*)
      rel="${dep#"$src/"}"
      mkdir -p "$stage/$(dirname "$rel")"
      [ -e "$stage/$rel" ] || cp -R "$dep" "$stage/$rel"
      ;;
  esac
done
chown -R root:root "$stage"
chmod -R u=rwX,go=rX "$stage"
chmod 0755 "$stage/dist/cli/clawav.js" "$stage/dist/cli/clawsudo.js"
old=""
if [ -e "$lib" ]; then old="$prefix/lib/.clawav.old.$$"; mv "$lib" "$old"; fi
mv "$stage" "$lib"
trap - EXIT
if [ -n "$old" ]; then rm -rf "$old"; fi
ln -sfn "$lib/dist/cli/clawav.js" "$bin/clawav"
ln -sfn "$lib/dist/cli/clawsudo.js" "$bin/clawsudo"
echo "install: $bin/clawav and $bin/clawsudo -> $lib ($("$bin/clawav" --version))"
