#!/bin/sh
# The long run of the grammar-based fuzzer (tests/fuzz_grammar.rs): generated projects for
# SECONDS (default 600) from SEED (default: the time), in release mode. A failure prints the
# seed of its case; rerun it with PICKLEFIX_FUZZ_SEED=that PICKLEFIX_FUZZ_SECONDS=1.
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-600}
seed=${2:-$(date +%s)}
PICKLEFIX_FUZZ_SECONDS=$seconds PICKLEFIX_FUZZ_SEED=$seed \
    cargo test --release --test fuzz_grammar generated_projects_fix_cleanly -- --nocapture
