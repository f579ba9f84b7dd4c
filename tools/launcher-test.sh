#!/usr/bin/env bash
# Tests that ./lowbit heals (issue 16): a first build killed mid-way, two first launches at once, a damaged
# jar, changed sources. Each case ends with `./lowbit --help` printing the usage. Takes a few minutes (every
# case builds; a build from nothing is about a minute).
#
#   tools/launcher-test.sh            # in a copy of the working tree (tracked + untracked, no target/)
#   tools/launcher-test.sh --in-place # in this checkout itself: deletes lowbit-cli/target and others' target/
#
# The copy keeps the test away from builds running in this checkout, and this checkout's target/ dirs intact.
set -euo pipefail
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "${1:-}" = "--in-place" ]; then
  W="$SRC"
else
  W="$(mktemp -d "${TMPDIR:-/tmp}/lowbit-launcher-test.XXXXXX")"
  trap 'rm -rf "$W"' EXIT
  (cd "$SRC" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$W")
  cp "$SRC/lowbit" "$W/lowbit"   # the launcher as it is now, even if git does not list it
fi
cd "$W"
T=lowbit-cli/target
LOG="$(mktemp -d)"
fails=0
pass() { echo "PASS  $*"; }
fail() { echo "FAIL  $*"; fails=$((fails + 1)); }
show() { sed 's/^/      | /' "$@"; }

# runs ./lowbit --help as NAME (stdout, stderr, rc in $LOG/NAME.*) and checks it printed the usage
launch() {
  local name="$1" rc=0
  ./lowbit --help >"$LOG/$name.out" 2>"$LOG/$name.err" || rc=$?
  echo "$rc" >"$LOG/$name.rc"
}
works() { # NAME: did that launch succeed?
  [ "$(cat "$LOG/$1.rc")" = 0 ] && grep -q '^Usage: lowbit' "$LOG/$1.out"
}
check() { # NAME DESCRIPTION
  if works "$1"; then pass "$2"; else fail "$2 (rc $(cat "$LOG/$1.rc"))"; show "$LOG/$1.out" "$LOG/$1.err"; fi
}

echo "launcher test in $W"

# (a) the first build is killed (SIGKILL to its whole process group: launcher, Maven, forked javac) while
#     Maven packages, i.e. once the plain lowbit-cli.jar exists and the shade plugin is rewriting it.
find . -name target -type d -prune -exec rm -rf {} +
start=$SECONDS
setsid ./lowbit --help >"$LOG/a1.out" 2>"$LOG/a1.err" &
pgid=$!
while [ ! -e "$T/lowbit-cli.jar" ] && kill -0 "$pgid" 2>/dev/null && [ $((SECONDS - start)) -lt 600 ]; do sleep 0.05; done
kill -KILL -- "-$pgid" 2>/dev/null || true
wait "$pgid" 2>/dev/null || true
echo "(a) killed the first build after $((SECONDS - start)) s; left in $T: $(cd "$T" 2>/dev/null && ls -A | tr '\n' ' ')"
if [ -e "$T/lowbit.jar" ]; then fail "(a) the kill came too late: lowbit.jar was already in place"; fi
if [ -e "$T/lowbit-cli.jar" ] && ! unzip -p "$T/lowbit-cli.jar" META-INF/MANIFEST.MF 2>/dev/null | grep -q '^Main-Class'; then
  echo "    (lowbit-cli.jar is the plain, unshaded jar: the state that broke the old launcher)"
fi
start=$SECONDS
launch a2
check a2 "(a) after a build killed while packaging, ./lowbit --help works ($((SECONDS - start)) s)"
grep -q 'interrupted' "$LOG/a2.err" && pass "(a) it said why it rebuilt: $(grep 'interrupted' "$LOG/a2.err")" \
  || fail "(a) no note about the interrupted build"; [ -e "$T/.lowbit-build-incomplete" ] && fail "(a) marker left behind"
launch a3
if works a3 && ! grep -q 'building\|rebuilding' "$LOG/a3.err"; then pass "(a) the next launch does not rebuild"
else fail "(a) the next launch rebuilt or failed"; show "$LOG/a3.err"; fi

# (b) no jar, two launches at once: one builds, the other waits for it and then runs the fresh jar.
rm -f "$T/lowbit.jar"
start=$SECONDS
launch b1 & p1=$!
launch b2 & p2=$!
wait "$p1" "$p2" || true
check b1 "(b) concurrent launch 1 works"
check b2 "(b) concurrent launch 2 works ($((SECONDS - start)) s for both)"
builds=$(cat "$LOG/b1.err" "$LOG/b2.err" | grep -c 'lowbit: building' || true)
waits=$(cat "$LOG/b1.err" "$LOG/b2.err" | grep -c 'waiting for another' || true)
if [ "$builds" = 1 ] && [ "$waits" = 1 ]; then pass "(b) one built, the other waited (stderr of both below)"
else fail "(b) expected one build and one wait, got $builds builds and $waits waits"; fi
show "$LOG/b1.err" "$LOG/b2.err"

# (c) a jar that cannot run is rebuilt, with a one-line note: the plain unshaded jar (no Main-Class), a truncated
#     one; and the state the old launcher could not leave (a plain lowbit-cli.jar newer than every source).
rm -f "$T/lowbit.jar"; cp "$T/original-lowbit-cli.jar" "$T/lowbit-cli.jar"   # what the old launcher left behind
launch c0
check c0 "(c) the old launcher's leftover (plain lowbit-cli.jar newer than every source): rebuilt and works"
cp "$T/original-lowbit-cli.jar" "$T/lowbit.jar"
launch c1
check c1 "(c) lowbit.jar without Main-Class: rebuilt and works"
grep -q 'unusable (no Main-Class' "$LOG/c1.err" && pass "(c) note: $(grep unusable "$LOG/c1.err")" || { fail "(c) no note"; show "$LOG/c1.err"; }
head -c 1000000 "$T/lowbit.jar" >"$T/cut.jar" && mv "$T/cut.jar" "$T/lowbit.jar"
launch c2
check c2 "(c) truncated lowbit.jar: rebuilt and works"
grep -q 'unusable (not a readable jar' "$LOG/c2.err" && pass "(c) note: $(grep unusable "$LOG/c2.err")" || { fail "(c) no note"; show "$LOG/c2.err"; }

# (d) changed sources still trigger a rebuild (the old behaviour), once.
touch lowbit-cli/src/main/java/dev/lowbit/cli/LowbitCli.java
launch d1
check d1 "(d) after a source change: rebuilt and works"
grep -q 'lowbit: building' "$LOG/d1.err" && pass "(d) it rebuilt" || fail "(d) it did not rebuild"
launch d2
if works d2 && [ ! -s "$LOG/d2.err" ]; then pass "(d) then no rebuild, nothing on stderr"; else fail "(d) second launch"; show "$LOG/d2.err"; fi

rm -rf "$LOG"
if [ "$fails" = 0 ]; then echo "launcher test: all passed"; else echo "launcher test: $fails failed"; exit 1; fi
