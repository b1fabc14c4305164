#!/bin/sh
# auth-user-pass-verify via-file: print the credentials file, its mode and
# the argument count, so the test can check all three.
cat "$1"
printf -- '--\n'
stat -c '%a' "$1"
printf '%s\n' "$#"
exit 0
