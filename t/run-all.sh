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

# Second pass: the same suite built with AddressSanitizer, UBSan and
# LeakSanitizer (P15), in a copy of the tracked tree so the two builds never
# share objects.  The endpoint in the namespace test runs instrumented too,
# and its exit status covers leaks.  SANITIZERS=0 skips this pass locally.
src=$(pwd)
if [ "${SANITIZERS:-1}" != 0 ]; then
	san=$(mktemp -d /tmp/ovpn-san.XXXXXX)
	git ls-files -z | (cd "$src" && xargs -0 cp --parents -t "$san")
	out=$(mktemp)
	src_rc=0
	(cd "$san" && ./autogen.sh >/dev/null 2>&1 &&
		./configure --enable-sanitizers --enable-werror >/dev/null &&
		make -j2 >/dev/null 2>&1 && make -j2 check) >"$out" 2>&1 || src_rc=$?
	grep -E '^(PASS|FAIL|SKIP|ERROR|XFAIL|XPASS):' "$out" | sed 's/^/sanitizers /' || true
	spass=$(find "$san/t" -name '*.trs' -exec cat {} + 2>/dev/null | grep -c '^:test-result: PASS' || true)
	sfail=$(find "$san/t" -name '*.trs' -exec cat {} + 2>/dev/null | grep -cE '^:test-result: (FAIL|ERROR|XPASS)' || true)
	if [ "$src_rc" != 0 ] || [ "$sfail" != 0 ]; then
		tail -n 60 "$out"
		[ -f "$san/test-suite.log" ] && cat "$san/test-suite.log"
		[ "$sfail" != 0 ] || sfail=1
	fi
	pass=$((pass + spass))
	fail=$((fail + sfail))
	rm -rf "$san" "$out"
fi
echo "tests: $pass passed, $fail failed, $skip skipped"
[ "$rc" = 0 ] && [ "$fail" = 0 ]
