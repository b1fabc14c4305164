#!/bin/sh
# udp6.sh - first_light.sh over udp6 outer transport.
exec sh "$(dirname "$0")/first_light.sh" udp6
