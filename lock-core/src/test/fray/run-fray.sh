#!/bin/bash
# Runs the controlled-concurrency tests (EngineInterleavingTests) under Fray on an instrumented JDK 25.
# Extra arguments go to Maven (e.g. -Dfray.baseJdk=/path/to/jdk25). Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../../../.."
exec ./mvnw -B -ntp -pl lock-core test -P 'fray,!virtual-threads' -Dtest='EngineInterleavingTests' \
  -Dsurefire.failIfNoSpecifiedTests=false "$@"
