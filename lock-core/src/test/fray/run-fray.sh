#!/bin/bash
# Runs the controlled-concurrency tests (EngineInterleavingTests) under Fray on an instrumented JDK 25.
# Extra arguments go to Maven (e.g. -Dfray.baseJdk=/path/to/jdk25). Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../../../.."
jdk=/usr/lib/jvm/temurin-25-jdk-amd64
for a in "$@"; do case "$a" in -Dfray.baseJdk=*) jdk=${a#-Dfray.baseJdk=} ;; esac; done
if [ ! -x "$jdk/bin/java" ]; then
  echo "run-fray.sh: SKIPPED: the Fray tests need a JDK 25 (none at $jdk; pass -Dfray.baseJdk=/path/to/jdk25)" >&2
  [ "${CI:-}" = "true" ] && exit 1   # CI machines have one: a missing JDK there is a broken machine, not a skip
  exit 0
fi
echo "run-fray.sh: EngineInterleavingTests under Fray on $jdk (100 schedules per test; a failure prints the schedule's violation and saves a replayable recording under lock-core/target/fray)"
exec ./mvnw -B -ntp -pl lock-core test -P 'fray,!virtual-threads' -Dtest='EngineInterleavingTests' \
  -Dsurefire.failIfNoSpecifiedTests=false "$@"
