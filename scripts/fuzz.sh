#!/usr/bin/env bash
# Runs libFuzzer on every target in turn, SECONDS each, and ends with a
# summary: executions and crashes found per target (also written to
# target/fuzz-<label>.md). A crash does not stop the run: each target keeps
# fuzzing past what it finds (fork mode), and every target runs.
#
#   scripts/fuzz.sh SECONDS LABEL TARGET...
#
# Every target is seeded with every fixture; LABEL "long" also seeds with
# calamine's test workbooks as python-calamine ships them on PyPI. Crashes
# are kept in fuzz/artifacts/<target>/ (crash-*, timeout-*, oom-*); turn
# each into a fixture in tests/fixtures/ with a test.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=$1
label=$2
shift 2

seeds=target/fuzz-seeds
if [ "${label#long}" != "$label" ] && [ ! -d "$seeds/workbooks" ]; then
  # The crate on crates.io ships no test files; python-calamine's sdist
  # carries calamine's own set (MIT).
  mkdir -p "$seeds"
  python3 -m pip download --quiet --no-deps --no-binary :all: python-calamine==0.9.1 -d "$seeds"
  mkdir -p "$seeds/workbooks"
  tar -xzf "$seeds"/python_calamine-0.9.1.tar.gz -C "$seeds"
  find "$seeds"/python_calamine-0.9.1 -type f \( -name '*.xls*' -o -name '*.ods' \) \
    -exec cp {} "$seeds/workbooks/" \;
fi

summary=target/fuzz-$label.md
mkdir -p target
{
  echo "| target | seconds | executions | crashes (new files in fuzz/artifacts) |"
  echo "|---|---:|---:|---:|"
} > "$summary.tmp"

for t in "$@"; do
  corpus=fuzz/corpus/$t
  artifacts=fuzz/artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  extra=
  if [ "${label#long}" != "$label" ]; then extra="$seeds/workbooks/*"; fi
  for f in tests/fixtures/* $extra; do
    [ -f "$f" ] || continue
    if [ "$t" = sheet ] && [ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' ')" = 504b0304 ]; then
      # The sheet target puts the ZIP signature in front itself.
      tail -c +5 "$f" > "$corpus/seed-$(basename "$f")"
    else
      cp "$f" "$corpus/seed-$(basename "$f")"
    fi
  done
  before=$(find "$artifacts" -type f | wc -l)
  log=target/fuzz-$label-$t.log
  echo "== fuzzing $t for ${seconds}s (log: $log)"
  set +e
  (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run "$t" "corpus/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=262144 \
    -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -artifact_prefix="artifacts/$t/") > "$log" 2>&1
  status=$?
  set -e
  after=$(find "$artifacts" -type f | wc -l)
  # Fork mode reports "#<executions>: cov: ..." as it goes; the last counts.
  runs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  echo "| $t | $seconds | ${runs:-?} | $((after - before)) |" >> "$summary.tmp"
  if [ "$status" -ne 0 ] && [ -z "$runs" ]; then
    echo "   $t did not run (exit $status); see $log"
  fi
done

{
  echo "Fuzzing ($label), $(date -u +%Y-%m-%d), $(nproc) cores:"
  echo
  cat "$summary.tmp"
} > "$summary"
rm -f "$summary.tmp"
echo
cat "$summary"
total=$(find fuzz/artifacts -type f 2>/dev/null | wc -l)
echo
echo "$total crash file(s) in fuzz/artifacts/ in all."
