#!/bin/sh
# The long fuzz run: every fuzz target in its own process, under nice, in the background.
# Usage: bench/fuzz_long.sh [EXAMPLES] [OUTDIR]   (defaults: 100000, /tmp/ledgersync-fuzz)
# Each target writes OUTDIR/<test>.log (hypothesis statistics: inputs passing/failing) and,
# every 500 inputs, OUTDIR/progress/<test>.txt ("<inputs> <seconds>"). See bench/campaign.md.
set -eu
EXAMPLES=${1:-100000}
OUT=${2:-/tmp/ledgersync-fuzz}
mkdir -p "$OUT/progress"
cd "$(dirname "$0")/.."
for target in \
    core/tests/test_fuzz_config.py::test_fuzz_a_mutated_config_loads_or_names_its_problems \
    core/tests/test_fuzz_ingest.py::test_fuzz_bad_lines_are_named_and_skipped_and_good_lines_kept \
    plugins/qbd/tests/test_fuzz_endpoint.py::test_fuzz_every_mutated_envelope_gets_a_soap_answer \
    plugins/qbd/tests/test_fuzz_endpoint.py::test_fuzz_a_mutated_qbxml_response_is_read_or_refused \
    plugins/qbo/tests/test_fuzz_responses.py::test_fuzz_any_answer_is_an_object_or_a_qbo_error \
    plugins/sage/tests/test_fuzz_responses.py::test_fuzz_a_mutated_xml_response_is_read_or_refused \
    plugins/sage/tests/test_fuzz_responses.py::test_fuzz_the_xml_gateway_signs_in_and_pages_or_fails_cleanly \
    plugins/sage/tests/test_fuzz_responses.py::test_fuzz_any_rest_answer_is_data_or_an_intacct_failure
do
    case "${FUZZ_ONLY:-}" in ""|*"${target##*::}"*) ;; *) continue ;; esac
    name=${target##*::}
    LEDGERSYNC_FUZZ_EXAMPLES=$EXAMPLES LEDGERSYNC_FUZZ_PROGRESS="$OUT/progress" \
        nice -n 19 python -m pytest -q -p no:randomly -p no:cacheprovider \
        --hypothesis-show-statistics "$target" > "$OUT/$name.log" 2>&1 &
    echo "$name: pid $!"
done
