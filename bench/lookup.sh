#!/bin/sh
# bench/lookup.sh - build bench/lookup.c against the tree (-O2) and run it
# for 10, 100, 1000 and 10000 rules and routes.
set -eu
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -std=c11 -D_GNU_SOURCE -Icommon -Iserver -o "$out/lookup" bench/lookup.c \
	common/lpm.c server/rtable.c server/authz.c common/addr.c common/err.c common/buf.c \
	common/log.c common/mtime.c
for n in 10 100 1000 10000; do "$out/lookup" "$n"; done
