#!/bin/sh
# Write $1 bytes to stdout.
head -c "$1" /dev/zero
exit 0
