#!/bin/sh
# tcp6.sh - first_light.sh over tcp6 outer transport.
exec sh "$(dirname "$0")/first_light.sh" tcp6
