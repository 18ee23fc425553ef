#!/bin/bash
# Proof that the verification suite can fail: re-introduces known defects one at a time, each into a
# temporary copy of the repository, runs the suite (SimulationTests with the CI budget, plus
# ManualScheduledRenewalTests and RenewalSchedulingTests for the scheduler's own wake-ups) and expects every mutant to make it FAIL. The unmutated copy
# must pass first, or nothing is proven. Run from anywhere; uses Maven offline (-o) and never installs.
#
# Usage: lock-core/src/test/mutants/run-mutants.sh [patch ...]      (default: every *.patch here)
# Env:   BUDGET    seconds of simulation per run (default 60, the CI budget)
#        SIM_ARGS  extra Maven arguments, e.g. while the engine still has the issue-12 defects:
#                  SIM_ARGS='-Dlocksmith.sim.without=huge,Extend -Dlocksmith.sim.ignore=5,6,7'
#
# An empty patch is a mutant the branch already contains (it is reported, not run). A patch that no
# longer applies exactly (no fuzz: a fuzzy hunk can silently change the wrong line) must be regenerated
# against the current engine (see README.md here).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
tests='SimulationTests,ManualScheduledRenewalTests,RenewalSchedulingTests'
work=$(mktemp -d /tmp/locksmith-mutants.XXXXXX)

copy() {
  mkdir -p "$1"
  (cd "$root" && tar --exclude='./.git' --exclude='*/target' -cf - .) | tar -xf - -C "$1"
}

run_suite() {
  (cd "$1" && ./mvnw -B -ntp -o -pl lock-core test -Dtest="$tests" -Dsurefire.failIfNoSpecifiedTests=false \
    -Dlocksmith.sim=true -Dlocksmith.sim.budgetSeconds="${BUDGET:-60}" ${SIM_ARGS:-} > "$2" 2>&1)
}

evidence() {
  local dir=$1
  grep -h -m2 -E '^Seed .* broke|^Found after' "$dir"/lock-core/target/surefire-reports/*SimulationTests-output.txt 2>/dev/null | cut -c1-400
  grep -h -m1 -E '^\[renewal scheduling, manual time\]' "$dir"/lock-core/target/surefire-reports/*ManualScheduledRenewalTests-output.txt 2>/dev/null
  grep -h -m1 -A3 -E '^\[ERROR\] +(ManualScheduled)?RenewalSchedulingTests' "$dir.log" 2>/dev/null | tr '\n' ' ' | cut -c1-300
}

echo "work directory: $work"
copy "$work/baseline"
if ! run_suite "$work/baseline" "$work/baseline.log"; then
  echo "baseline (no mutant) FAILS, so no mutant can be judged:"
  evidence "$work/baseline"
  exit 2
fi
echo "baseline (no mutant): passes"

status=0
patches=("$@")
[ ${#patches[@]} -eq 0 ] && patches=("$here"/*.patch)
for p in "${patches[@]}"; do
  name=$(basename "$p" .patch)
  if [ ! -s "$p" ]; then
    echo "$name: empty patch: this branch already contains the defect (see the evidence table in docs/verification.md)"
    continue
  fi
  dir="$work/$name"
  copy "$dir"
  if ! patch -s -p1 --fuzz=0 -d "$dir" < "$p"; then
    echo "$name: patch does not apply: regenerate it against the current engine"
    status=1
    continue
  fi
  start=$(date +%s)
  if run_suite "$dir" "$dir.log"; then
    echo "$name: NOT CAUGHT: the suite passed"
    status=1
  else
    echo "$name: CAUGHT in $(( $(date +%s) - start )) s (build included)"
    evidence "$dir" | sed 's/^/    /'
  fi
done
exit $status
