#!/usr/bin/env bash
# The long fuzz run: every fuzz target in its own process, under nice, in the background.
# Usage: bench/fuzz_long.sh [EXAMPLES] [OUTDIR]   (defaults: 100000, /tmp/ledgersync-fuzz)
# Each target writes OUTDIR/<test>.log (hypothesis statistics: inputs passing/failing) and,
# every 500 inputs, OUTDIR/progress/<test>.txt ("<inputs> <seconds>"). See bench/campaign.md.
#   FUZZ_ONLY="<test names>"  only these targets, started in this order
#   FUZZ_AT_ONCE=N            at most N targets at once (the next starts when one ends; the
#                             script then waits for them all); default: all at once
#   FUZZ_DATABASE_URL=URL     the ingest target's ledger (e.g. PostgreSQL, which refuses what
#                             SQLite takes: a NUL); the other targets need none or use SQLite
#   FUZZ_NICE=N               niceness (default 19)
set -eu
EXAMPLES=${1:-100000}
OUT=${2:-/tmp/ledgersync-fuzz}
mkdir -p "$OUT/progress"
cd "$(dirname "$0")/.."
# Slowest first (rates of the 2026-12-06 long run), so a limited run gets the slow ones going.
TARGETS="
    plugins/sage/tests/test_fuzz_responses.py::test_fuzz_the_xml_gateway_signs_in_and_pages_or_fails_cleanly
    core/tests/test_fuzz_config.py::test_fuzz_a_mutated_config_loads_or_names_its_problems
    plugins/sage/tests/test_fuzz_responses.py::test_fuzz_any_rest_answer_is_data_or_an_intacct_failure
    plugins/qbo/tests/test_fuzz_responses.py::test_fuzz_any_answer_is_an_object_or_a_qbo_error
    plugins/qbd/tests/test_fuzz_endpoint.py::test_fuzz_every_mutated_envelope_gets_a_soap_answer
    plugins/qbd/tests/test_fuzz_endpoint.py::test_fuzz_a_mutated_qbxml_response_is_read_or_refused
    plugins/sage/tests/test_fuzz_responses.py::test_fuzz_a_mutated_xml_response_is_read_or_refused
    core/tests/test_fuzz_ingest.py::test_fuzz_bad_lines_are_named_and_skipped_and_good_lines_kept
"
selected=""
if [ -n "${FUZZ_ONLY:-}" ]; then
    for name in $FUZZ_ONLY; do
        for target in $TARGETS; do
            case "$target" in *"::$name") selected="$selected $target" ;; esac
        done
    done
else
    selected=$TARGETS
fi
running=0
for target in $selected; do
    if [ -n "${FUZZ_AT_ONCE:-}" ] && [ "$running" -ge "$FUZZ_AT_ONCE" ]; then
        wait -n || true
        running=$((running - 1))
    fi
    name=${target##*::}
    (
        case "$name" in
            *bad_lines*) [ -z "${FUZZ_DATABASE_URL:-}" ] ||
                export LEDGERSYNC_TEST_DATABASE_URL="$FUZZ_DATABASE_URL" ;;
            *) unset LEDGERSYNC_TEST_DATABASE_URL ;;
        esac
        LEDGERSYNC_FUZZ_EXAMPLES=$EXAMPLES LEDGERSYNC_FUZZ_PROGRESS="$OUT/progress" \
            exec nice -n "${FUZZ_NICE:-19}" python -m pytest -q -p no:randomly -p no:cacheprovider \
            --hypothesis-show-statistics "$target" > "$OUT/$name.log" 2>&1
    ) &
    running=$((running + 1))
    echo "$(date -u +%T) $name: pid $!"
done
if [ -n "${FUZZ_AT_ONCE:-}" ]; then
    wait
fi
