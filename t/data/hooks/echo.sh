#!/bin/sh
# Print the client-controlled variables NUL-separated, as raw bytes, and
# write the username to $OUT, so the test can compare them byte for byte.
printf '%s\0%s\0%s\0%s' "$username" "$password" "$common_name" "$IV_PLAT_VER"
printf '%s' "$username" > "$OUT"
exit 0
