#!/bin/sh
# Exit with the code given as $1 (allow = 0, deny = 1, deferred = 2, ...).
exit "$1"
