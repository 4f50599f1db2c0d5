#!/bin/sh
# Build tests/tools/runtime-tools-validate offline against Debian's Go tree.
#
# Usage: build-runtime-tools-validate.sh OUTPUT_BINARY
#
# Needs: golang-go, golang-github-opencontainers-runtime-tools-dev (pulls in
# runtime-spec, blang/semver, go-multierror, logrus, gocapability, selinux,
# gojsonschema, golang.org/x/sys).  GOPATH mode (GO111MODULE=off), so no
# module proxy, no go.sum, no network.  Nothing is written to HOME or to
# /usr/share/gocode: the build cache lives next to OUTPUT_BINARY unless
# GOCACHE is already set to something usable.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTPUT_BINARY" >&2
    exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
src="$here/runtime-tools-validate/main.go"
gocode=${DEBIAN_GOCODE:-/usr/share/gocode}

out=$1
case $out in
    /*) ;;
    *) out="$(pwd)/$out" ;;
esac
outdir=$(dirname "$out")
mkdir -p "$outdir"

if ! command -v go >/dev/null 2>&1; then
    echo "$0: 'go' not found (apt-get install golang-go)" >&2
    exit 2
fi
if [ ! -d "$gocode/src/github.com/opencontainers/runtime-tools/validate" ]; then
    echo "$0: $gocode lacks runtime-tools (apt-get install golang-github-opencontainers-runtime-tools-dev)" >&2
    exit 2
fi

# A caller-provided GOCACHE wins (e.g. shared between builds); otherwise keep
# it beside the output so repeated builds are fast and HOME is never touched.
: "${GOCACHE:=$outdir/.gocache-runtime-tools-validate}"
mkdir -p "$GOCACHE"

# Build from the directory of main.go: `go build FILE.go` works in GOPATH
# mode from anywhere; imports resolve from $gocode/src.
cd "$(dirname "$src")"
env -u GOROOT \
    GO111MODULE=off \
    GOPATH="$gocode" \
    GOCACHE="$GOCACHE" \
    GOFLAGS= \
    GOPROXY=off \
    GOTOOLCHAIN=local \
    CGO_ENABLED=0 \
    go build -trimpath -o "$out" main.go
