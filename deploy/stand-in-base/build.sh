#!/usr/bin/env bash
# Builds a local stand-in for the `node:24-slim` image, for machines that run containers but cannot
# pull from an image registry (CI here): a Debian bookworm root filesystem (debootstrap minbase)
# with the Node 24 binary of the repository's `node` devDependency, the npm this machine runs, and
# a `node` user (uid 1000) — what the gateway's and the result service's Dockerfiles expect of
# their base. Then, as a second image on top, this machine's extra CA certificates
# (/usr/local/share/ca-certificates), which `npm ci` inside a build needs where the registry is
# reached through a TLS-inspecting proxy. Prints the final tag on its last line.
#
# Cached: the root filesystem image is tagged by its Node version and reused when present (built
# in ~1-2 min otherwise); the CA layer is rebuilt each run (a second; docker's cache keeps it when
# the certificates did not change). Needs root, debootstrap and a running dockerd.
#   deploy/stand-in-base/build.sh            # prints e.g. resultgate-stand-in/node:24.21.0
set -euo pipefail
cd "$(dirname "$0")/../.."
DOCKER=${DOCKER:-docker}

# The binary itself (the package's install script puts it in node_modules/node/bin/).
node_bin=$(node_modules/.bin/node -p process.execPath 2>/dev/null) ||
  { echo "stand-in base: node_modules/.bin/node missing (run npm install first)" >&2; exit 1; }
node_version=$("$node_bin" --version | sed 's/^v//')
rootfs_tag="resultgate-stand-in/rootfs:bookworm-node$node_version"
final_tag="resultgate-stand-in/node:$node_version"

if ! "$DOCKER" image inspect "$rootfs_tag" >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] || ! command -v debootstrap >/dev/null 2>&1; then
    echo "stand-in base: building it needs root and debootstrap (apt-get install debootstrap);" \
      "where an image registry is reachable, set NODE_IMAGE=node:24-slim instead" >&2
    exit 1
  fi
  start=$SECONDS
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  [ -f "$npm_dir/package.json" ] || { echo "stand-in base: cannot find npm's folder" >&2; exit 1; }
  work=$(mktemp -d /var/tmp/resultgate-stand-in.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  echo "stand-in base: debootstrap --variant=minbase bookworm (once per machine)" >&2
  debootstrap --variant=minbase bookworm "$work/root" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  root=$work/root
  install -m 0755 "$node_bin" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  # What the slim image leaves out too: documentation, locales, apt's lists and caches.
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
    "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} +
  tar -C "$root" --numeric-owner -c . | "$DOCKER" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["node"]' - "$rootfs_tag" >/dev/null
  echo "stand-in base: $rootfs_tag built in $((SECONDS - start)) s" >&2
fi

# The CA layer: this machine's extra certificates, trusted by Node through NODE_EXTRA_CA_CERTS.
ctx=$(mktemp -d)
cat /usr/local/share/ca-certificates/*.crt >"$ctx/extra-ca.pem" 2>/dev/null || true
printf 'FROM %s\nCOPY extra-ca.pem /usr/local/share/ca-certificates/stand-in-extra.pem\nENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/stand-in-extra.pem\n' \
  "$rootfs_tag" >"$ctx/Dockerfile"
DOCKER_BUILDKIT=0 "$DOCKER" build -q -t "$final_tag" "$ctx" >/dev/null 2>"$ctx/err" || { cat "$ctx/err" >&2; rm -rf "$ctx"; exit 1; }
rm -rf "$ctx"
echo "$final_tag"
