//! Runs the stable-Rust fuzzer of `handsup::fuzzing` on one target or all.
//!
//! ```text
//! cargo run --profile fuzz --example fuzz -- [TARGET|all] [INPUTS] [SECONDS] [SEED]
//! ```
//!
//! Seeds come from `fuzz/corpus/<target>/`; crashing or slow inputs, and
//! the slowest one, are saved in `fuzz/artifacts/`. Exits non-zero if any
//! input crashed or hung. `fuzz time TARGET FILE` times one saved input.

use std::path::Path;
use std::time::Duration;

use handsup::fuzzing::{self, TARGETS, Target};

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("time") {
        let (Some(t), Some(file)) = (args.get(1).and_then(|s| Target::from_name(s)), args.get(2))
        else {
            eprintln!("usage: fuzz time TARGET FILE");
            return std::process::ExitCode::FAILURE;
        };
        let data = std::fs::read(file).expect("read the input");
        let started = std::time::Instant::now();
        t.run(&data);
        println!("{} bytes in {:?}", data.len(), started.elapsed());
        return std::process::ExitCode::SUCCESS;
    }
    let which = args.first().map(String::as_str).unwrap_or("all");
    let inputs: u64 = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let seconds: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3600);
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let targets: Vec<Target> = if which == "all" {
        TARGETS.to_vec()
    } else {
        match Target::from_name(which) {
            Some(t) => vec![t],
            None => {
                eprintln!(
                    "unknown target {which}; use all or one of: {}",
                    TARGETS.map(|t| t.name()).join(", ")
                );
                return std::process::ExitCode::FAILURE;
            }
        }
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut failed = false;
    println!(
        "| target | seeds | inputs | time | inputs/s | slowest input | crashes | slow (> {:?}) | panics caught inside |",
        fuzzing::SLOW
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for t in targets {
        let seeds = fuzzing::seeds(&root.join("corpus"), t);
        let r = fuzzing::run(
            t,
            &seeds,
            inputs,
            Duration::from_secs(seconds),
            seed,
            &root.join("artifacts"),
        );
        let secs = r.elapsed.as_secs_f64();
        println!(
            "| {} | {} | {} | {:.0} s | {:.0} | {:.1} ms | {} | {} | {} |",
            t.name(),
            seeds.len(),
            r.inputs,
            secs,
            r.inputs as f64 / secs.max(1e-9),
            r.slowest.as_secs_f64() * 1000.0,
            r.crashes.len(),
            r.slow.len(),
            r.caught
        );
        if let Some(p) = &r.slowest_input {
            eprintln!("  slowest input: {}", p.display());
        }
        for p in r.crashes.iter().chain(&r.slow) {
            eprintln!("  saved {}", p.display());
        }
        failed |= !r.crashes.is_empty() || !r.slow.is_empty();
    }
    if failed {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}
