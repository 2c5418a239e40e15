//! The fuzzer of `handsup::fuzzing`, briefly, on every target: the seeds in
//! `fuzz/corpus` (which include the files that once crashed or stalled the
//! server) and a few thousand mutations of them must neither panic nor hang.
//! The long runs and their figures are in docs/SECURITY.md.

use std::path::Path;
use std::time::Duration;

use handsup::fuzzing::{self, TARGETS};

#[test]
fn every_parser_survives_a_short_fuzzing_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let out = tempfile::tempdir().unwrap();
    for target in TARGETS {
        let seeds = fuzzing::seeds(&root.join("corpus"), target);
        assert!(!seeds.is_empty(), "no seeds for {}", target.name());
        // Bounded by count and by time, so a busy machine only does less.
        let r = fuzzing::run(target, &seeds, 2_000, Duration::from_secs(3), 7, out.path());
        assert!(
            r.inputs >= seeds.len() as u64,
            "{}: seeds not all run",
            target.name()
        );
        assert!(
            r.crashes.is_empty() && r.slow.is_empty(),
            "{}: crashing or slow inputs: {:?} {:?}",
            target.name(),
            r.crashes,
            r.slow
        );
    }
}
