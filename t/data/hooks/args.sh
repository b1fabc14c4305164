#!/bin/sh
# Print each argument on its own line, bracketed.
for a in "$@"; do
	printf '[%s]\n' "$a"
done
exit 0
