#!/bin/sh
# tcp.sh - first_light.sh over tcp outer transport.
exec sh "$(dirname "$0")/first_light.sh" tcp
