#!/usr/bin/env bash
# Build the credcheck image without a container daemon, and optionally test it running.
#
#   deploy/image.sh build    # make image:      base (cached), wheelhouse, image; prints its size
#   deploy/image.sh test     # make image-test: build, then deploy/test_image.py against a running container
#
# The chain (Debian packages only): podman, buildah, runc, debootstrap. The base is a Debian bookworm root
# filesystem with Debian's Python 3.11, bootstrapped once and cached; the wheels are built on this machine
# (durable-rules compiles here), so the build needs neither the network nor a compiler.
#
# Environment (all optional):
#   CREDCHECK_IMAGE          tag to build                      (localhost/credcheck:dev)
#   CREDCHECK_BASE_IMAGE     use this base instead of the bootstrapped one, e.g. python:3.11-slim-bookworm
#   CREDCHECK_DEBIAN_MIRROR  mirror debootstrap reads           (http://deb.debian.org/debian)
#   XDG_CACHE_HOME           the base's tarball and containers.conf go to $XDG_CACHE_HOME/credcheck (~/.cache)
#   PYTHON                   Python 3.11 that builds the wheels (.venv/bin/python)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mode=${1:-build}
case "$mode" in build | test) ;; *) echo "usage: $0 build|test" >&2; exit 2 ;; esac

IMAGE=${CREDCHECK_IMAGE:-localhost/credcheck:dev}
PYTHON=${PYTHON:-.venv/bin/python}
MIRROR=${CREDCHECK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/credcheck
# What the base is made of. Its checksum names the cached tarball and the base image, so changing this line
# makes a new base rather than reusing a stale one.
BASE_RECIPE="debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm; trim 1"
BASE_KEY=$(printf '%s' "$BASE_RECIPE" | cksum | cut -d' ' -f1)
BASE_IMAGE=${CREDCHECK_BASE_IMAGE:-localhost/credcheck-base:bookworm-$BASE_KEY}

step() { printf '\n-- %s\n' "$*"; }
seconds() { date +%s; }
t0=$(seconds)

# ---------------------------------------------------------------------------------------------- tools
missing=()
for tool in podman buildah runc debootstrap; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    step "installing ${missing[*]} (apt)"
    sudo=""
    [[ $(id -u) == 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# runc, because crun fails on these machines' cgroups; ulimits within this machine's hard limits, because
# podman's defaults exceed them and every container would fail to start. buildah reads the same file.
mkdir -p "$CACHE"
hard_nofile=$(ulimit -Hn)
hard_nproc=$(ulimit -Hu)
[[ $hard_nofile == unlimited ]] && hard_nofile=1048576
[[ $hard_nproc == unlimited ]] && hard_nproc=1048576
nofile=$((hard_nofile < 65536 ? hard_nofile : 65536))
nproc=$((hard_nproc < 4096 ? hard_nproc : 4096))
export CONTAINERS_CONF="$CACHE/containers.conf"
cat >"$CONTAINERS_CONF" <<EOF
# Written by deploy/image.sh for this machine (hard limits: nofile $hard_nofile, nproc $hard_nproc).
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
EOF

# ----------------------------------------------------------------------------------------------- base
if [[ -z ${CREDCHECK_BASE_IMAGE:-} ]] && ! podman image exists "$BASE_IMAGE"; then
    tarball="$CACHE/base-bookworm-$BASE_KEY.tar"
    if [[ ! -s $tarball ]]; then
        step "bootstrapping the Debian bookworm base with Debian's Python 3.11 (once; cached in $tarball)"
        [[ $(id -u) == 0 ]] || { echo "debootstrap needs root (or run as root once to fill the cache)" >&2; exit 1; }
        rootfs=$(mktemp -d "$CACHE/rootfs.XXXXXX")
        trap 'rm -rf "$rootfs"' EXIT
        debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
            bookworm "$rootfs" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
            || { tail -20 "$CACHE/debootstrap.log" >&2; exit 1; }
        # Trim what an image never uses: package indexes and caches, docs, man pages, translations, logs,
        # and this machine's name and resolver (the container runtime provides its own).
        rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/* \
            "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/* \
            "$rootfs"/usr/share/info/* "$rootfs"/etc/hostname "$rootfs"/etc/resolv.conf
        tar -C "$rootfs" --numeric-owner -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
        rm -rf "$rootfs"
        trap - EXIT
    fi
    step "importing the base $BASE_IMAGE"
    podman import --quiet \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["python3"]' \
        "$tarball" "$BASE_IMAGE" >/dev/null
fi

# ------------------------------------------------------------------------------------------ wheelhouse
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else f"the image has Python 3.11; {sys.executable} is {sys.version.split()[0]}: its wheels would not load")'
context=$(mktemp -d "${TMPDIR:-/tmp}/credcheck-image.XXXXXX")
trap 'rm -rf "$context"' EXIT
step "wheelhouse (pip wheel with the pinned versions)"
mkdir -p "$context/requirements"
cp requirements/constraints.txt "$context/requirements/"
"$PYTHON" -m pip wheel --quiet --disable-pip-version-check -c requirements/constraints.txt -w "$context/wheels" .
ls "$context/wheels" | sed 's/^/   /'

# ---------------------------------------------------------------------------------------------- image
step "building $IMAGE from $BASE_IMAGE (buildah, chroot isolation; pip installs with --no-index)"
previous=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
# docker format keeps the HEALTHCHECK (the OCI image format has no field for it).
buildah bud --quiet --isolation chroot --format docker --pull=never \
    --build-arg BASE="$BASE_IMAGE" -f Dockerfile -t "$IMAGE" "$context" >/dev/null
# The image this tag named before is left untagged; remove it, unless a container still uses it.
if [[ -n $previous && $previous != $(podman image inspect --format '{{.Id}}' "$IMAGE") ]]; then
    podman rmi "$previous" >/dev/null 2>&1 || true
fi
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
base_size=$(podman image inspect --format '{{.Size}}' "$BASE_IMAGE")
printf '\nimage %s: %s MB (base %s MB, credcheck and its dependencies %s MB); built in %ss\n' "$IMAGE" \
    $((size / 1000000)) $((base_size / 1000000)) $(((size - base_size) / 1000000)) $(($(seconds) - t0))

# ----------------------------------------------------------------------------------------------- test
if [[ $mode == test ]]; then
    step "testing the running image (deploy/test_image.py)"
    # The test removes its containers itself; this catches any left by a test run that was interrupted.
    export CREDCHECK_IMAGE_TEST_RUN="$$"
    trap 'rm -rf "$context"; podman ps -aq --filter "label=credcheck-image-test=$CREDCHECK_IMAGE_TEST_RUN" | xargs -r podman rm -f -t 0 >/dev/null' EXIT
    CREDCHECK_IMAGE="$IMAGE" .venv/bin/python -m pytest -q -p no:cacheprovider -s deploy/test_image.py
    printf 'make image-test: %ss in all\n' $(($(seconds) - t0))
fi
