#!/bin/sh
# Deferred auth, OpenVPN 2.6 style: leave a background job that writes the
# verdict ($VERDICT) into auth_control_file later, and exit 2 at once.
# "Later" is when the test writes a line into the FIFO $GO, so the test
# controls the order without sleeping.
(read go < "$GO"; printf '%s\n' "$VERDICT" > "$auth_control_file") &
exit 2
