#!/bin/sh
# client-connect: write a directive into the config file given as $1 and
# $MODE into the deferred file ("" leaves it empty).
printf 'push "echo hello %s"\n' "$common_name" > "$1"
[ -n "$MODE" ] && printf '%s' "$MODE" > "$client_connect_deferred_file"
exit 0
