#!/usr/bin/env bash
# A Debian sid root for the interpreters Debian 12 lacks: CPython 3.14 and
# 3.15 (with -dev and -venv), python3.14-dbg and PyPy 8 (Python 3.11).
#
# They are built against sid's libc, so they run in a chroot, not on the host.
# The root is made once with debootstrap --variant=minbase (about two minutes)
# under $CTXLOCAL_SID_ROOT and reused while it is whole; a half-made one (no
# ready marker) is made again. Every call copies in the host's DNS, pip
# configuration and CA bundle (the ones pip here is set up with), so pip works
# inside as it does on the host, and installs the packages that are missing.
#
# Usage:
#   ci/sid-root.sh                 make or update the root, print its path
#   ci/sid-root.sh run CMD [ARG]   run CMD inside it as root, in /src, which is
#                                  the checkout (or $CTXLOCAL_SID_SRC)
#                                  bind-mounted read-write
#   ci/sid-root.sh run-copy CMD [ARG]
#                                  the same in a temporary copy of the
#                                  checkout's tracked and untracked (not
#                                  ignored) files, removed afterwards
#
# `run` works in a private mount namespace (unshare), so /proc, /dev and /src
# are unmounted by the kernel when CMD ends, however it ends. The environment
# inside is a clean one: PATH, HOME, LANG, the pip and certificate variables,
# and the CTXLOCAL_*, CI and HYPOTHESIS_* variables of the caller.
#
# Environment: CTXLOCAL_SID_ROOT (default /var/cache/ctxlocal/sid-root),
# CTXLOCAL_SID_SRC (the folder mounted at /src; default this checkout).
set -euo pipefail

SRC=$(cd "${CTXLOCAL_SID_SRC:-$(dirname "$0")/..}" && pwd)
ROOT=${CTXLOCAL_SID_ROOT:-/var/cache/ctxlocal/sid-root}
MIRROR=http://deb.debian.org/debian
PACKAGES=(
    python3.14 python3.14-dev python3.14-venv python3.14-dbg
    python3.15 python3.15-dev python3.15-venv
    pypy3 pypy3-venv
    gcc libc6-dev ca-certificates
)
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

apt_host() {
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "$@" \
        || { apt-get update -q && apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "$@"; }
}

# Commands that need /proc (apt's maintainer scripts, Python) run with it
# mounted, in their own mount namespace.
in_root() {
    unshare --mount --propagation private -- bash -c '
        set -e
        root=$1; src=$2; shift 2
        mount -t proc proc "$root/proc"
        mount --rbind /dev "$root/dev"
        mkdir -p "$root/src"
        mount --bind "$src" "$root/src"
        exec chroot "$root" "$@"
    ' in_root "$ROOT" "$SRC" "$@"
}

copy_host_config() {
    cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
    # The mirror here serves sid as of one day, whose Release file expires a
    # week later; apt would refuse it after that.
    echo 'Acquire::Check-Valid-Until "false";' > "$ROOT/etc/apt/apt.conf.d/99ctxlocal-no-expiry"
    if [ -f /etc/pip.conf ]; then cp /etc/pip.conf "$ROOT/etc/pip.conf"; fi
    # The host's bundle is the one pip and apt trust here; sid's
    # ca-certificates would regenerate its own, so ours goes in afterwards
    # too, under the same name.
    mkdir -p "$ROOT/etc/ssl/certs"
    cp "$CA_BUNDLE" "$ROOT$CA_BUNDLE"
}

make_root() {
    command -v debootstrap >/dev/null || apt_host debootstrap
    rm -rf "$ROOT"
    mkdir -p "$(dirname "$ROOT")"
    echo "sid-root: debootstrap sid into $ROOT" >&2
    debootstrap --variant=minbase sid "$ROOT" "$MIRROR" >&2
}

ensure_root() {
    if [ ! -f "$ROOT/.ctxlocal-ready" ] || ! chroot "$ROOT" true 2>/dev/null; then
        make_root
    fi
    copy_host_config
    local missing=()
    for pkg in "${PACKAGES[@]}"; do
        chroot "$ROOT" dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" \
            || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "sid-root: installing ${missing[*]}" >&2
        in_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
        in_root env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
        copy_host_config
    fi
    touch "$ROOT/.ctxlocal-ready"
}

ensure_root

case "${1:-}" in
    "")
        echo "$ROOT"
        ;;
    run|run-copy)
        command=$1
        shift
        [ $# -gt 0 ] || { echo "usage: $0 $command CMD [ARG...]" >&2; exit 2; }
        if [ "$command" = run-copy ]; then
            # A copy of the checkout's tracked and untracked (not ignored)
            # files: what runs inside builds and writes there, not here.
            COPY=$(mktemp -d "${TMPDIR:-/tmp}/ctxlocal-sid.XXXXXX")
            trap 'rm -rf "$COPY"' EXIT
            (cd "$SRC" && git ls-files -z --cached --others --exclude-standard \
                | xargs -0 cp --parents -t "$COPY")
            SRC=$COPY
        fi
        ENV=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
             HOME=/root LANG=C.UTF-8 TMPDIR=/tmp)
        while IFS= read -r var; do
            ENV+=("$var")
        # PIP_FIND_LINKS names a host folder the root does not have.
        done < <(env | grep -E '^(CTXLOCAL_[A-Z_]*|CI|HYPOTHESIS_[A-Z_]*|PIP_[A-Z_]*|SSL_CERT_FILE|REQUESTS_CA_BUNDLE)=' \
                     | grep -v '^PIP_FIND_LINKS=' || true)
        in_root env -i "${ENV[@]}" bash -c 'cd /src && exec "$@"' run "$@"
        ;;
    -h|--help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        ;;
    *)
        echo "unknown command: $1 (see --help)" >&2
        exit 2
        ;;
esac
