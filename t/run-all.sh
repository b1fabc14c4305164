#!/bin/sh
# t/run-all.sh - the README's test command: install what is missing, build
# with warnings as errors, and run every test (unit, config goldens, and the
# network-namespace tests against the stock openvpn client).
set -eu
cd "$(dirname "$0")/.."
sh t/deps.sh
[ -x configure ] || ./autogen.sh >/dev/null 2>&1
[ -f Makefile ] || ./configure --enable-werror >/dev/null
make -j2 >/dev/null
out=$(mktemp)
rc=0
make -j2 check >"$out" 2>&1 || rc=$?
grep -E '^(PASS|FAIL|SKIP|ERROR|XFAIL|XPASS):' "$out" || true
count() { find t -name '*.trs' -exec cat {} + 2>/dev/null | grep -cE "^:test-result: ($1)" || true; }
pass=$(count PASS)
fail=$(count 'FAIL|ERROR|XPASS')
skip=$(count SKIP)
if [ "$rc" != 0 ] || [ "$fail" != 0 ]; then
	tail -n 60 "$out"
	[ -f test-suite.log ] && cat test-suite.log
fi
rm -f "$out"
echo "tests: $pass passed, $fail failed, $skip skipped"
[ "$rc" = 0 ] && [ "$fail" = 0 ]
