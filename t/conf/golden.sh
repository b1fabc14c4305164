#!/bin/sh
# golden.sh - the ovpn-endpoint binary against every golden config.
#
# test_conf_server checks the parser library against these files; this checks
# the program's own contract: a good config prints its normalised form with
# --test-config and exits 0; a bad one prints exactly "FILE:LINE: message" on
# stderr, nothing on stdout, and exits 1.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
bin="$top_builddir/server/ovpn-endpoint"
cd "$top_srcdir/t/conf" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
for conf in [0-9]*.conf; do
	ok="${conf%.conf}.ok"
	[ -f "$ok" ] || { echo "FAIL: $conf has no $ok"; fail=$((fail + 1)); continue; }
	"$bin" --config "$conf" --test-config >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if head -n 1 "$ok" | grep -q '^ERROR: '; then
		sed 's/^ERROR: //' "$ok" >"$tmp/want"
		if [ "$rc" = 1 ] && [ ! -s "$tmp/out" ] && cmp -s "$tmp/err" "$tmp/want"; then
			pass=$((pass + 1))
		else
			echo "FAIL: $conf: want exit 1 and '$(cat "$tmp/want")', got exit $rc and '$(cat "$tmp/err")'"
			fail=$((fail + 1))
		fi
	else
		if [ "$rc" = 0 ] && cmp -s "$tmp/out" "$ok"; then
			pass=$((pass + 1))
		else
			echo "FAIL: $conf: exit $rc"; diff "$ok" "$tmp/out" | head -n 10; cat "$tmp/err"
			fail=$((fail + 1))
		fi
	fi
done
# No config at all, and a missing file, are usage errors with status 1 too.
"$bin" >/dev/null 2>&1; [ $? = 1 ] && pass=$((pass + 1)) || { echo "FAIL: no arguments"; fail=$((fail + 1)); }
"$bin" --config "$tmp/nonexistent.conf" >/dev/null 2>"$tmp/err"
if [ $? = 1 ] && grep -q "nonexistent.conf" "$tmp/err"; then pass=$((pass + 1)); else echo "FAIL: missing file"; fail=$((fail + 1)); fi
echo "golden: $pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
