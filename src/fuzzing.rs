//! A small mutation fuzzer for the parsers of hostile input, runnable on
//! stable Rust (cargo-fuzz needs nightly). `examples/fuzz.rs` runs it for a
//! given number of inputs; `tests/it/fuzz.rs` runs every target briefly in
//! CI. `docs/SECURITY.md` has the figures of the long runs.
//!
//! Each input is a seed from `fuzz/corpus/<target>/` mutated a few times
//! (bit flips, byte and chunk insertions, deletions, duplications, splices
//! with another seed, tokens from a dictionary of the format). A panic is a
//! crash; an input that takes longer than [`SLOW`] is reported too.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// An input slower than this is reported as a hang.
pub const SLOW: Duration = Duration::from_secs(2);

/// The parsers fuzzed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `bank::parse`.
    Bank,
    /// `roster::parse` of CSV bytes.
    RosterCsv,
    /// `roster::parse` of XLSX: the mutated text is a worksheet's XML,
    /// zipped into a workbook (so the parsers past the ZIP are reached);
    /// one input in eight mutates the ZIP bytes themselves.
    RosterXlsx,
    /// `vote::motions_file::parse`.
    Motions,
    /// The websocket decoder: `ClientMsg` from JSON text.
    Protocol,
}

pub const TARGETS: [Target; 5] = [
    Target::Bank,
    Target::RosterCsv,
    Target::RosterXlsx,
    Target::Motions,
    Target::Protocol,
];

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::Bank => "bank",
            Target::RosterCsv => "roster-csv",
            Target::RosterXlsx => "roster-xlsx",
            Target::Motions => "motions",
            Target::Protocol => "protocol",
        }
    }

    pub fn from_name(s: &str) -> Option<Target> {
        TARGETS.into_iter().find(|t| t.name() == s)
    }

    /// Tokens of the format, spliced into inputs.
    fn dictionary(self) -> &'static [&'static str] {
        match self {
            Target::Bank => &[
                "## ",
                "# ",
                "- [ ] ",
                "- [x] ",
                "type: ",
                "answer: ",
                "time: ",
                "language: ",
                "scoring: partial",
                "explanation: ",
                "source: ",
                " <https://a.vn/x>",
                "<",
                ">",
                "javascript:",
                "truefalse",
                "typed",
                "\n",
                "order",
                "diacritics: exact",
                "points: ",
                "999999999999999999999",
            ],
            Target::RosterCsv | Target::Motions => &[
                ",",
                ";",
                "\t",
                "\"",
                "\"\"",
                "\n",
                "\r\n",
                "sep=;\n",
                "Họ và tên",
                "Mã",
                "Loại",
                "Tổ",
                "Chính thức",
                "Dự bị",
                "\u{feff}",
                "\u{202e}",
                "## ",
                "template: ",
                "quorum: 2/3",
                "threshold: ",
                "options: a | b",
                "ballot: secret",
                "0/0",
                "99999999999/1",
            ],
            Target::RosterXlsx => &[
                "<row r=\"1\">",
                "</row>",
                "<c r=\"XFD1048576\" t=\"inlineStr\"><is><t>x</t></is></c>",
                "<c r=\"A1\" t=\"s\"><v>0</v></c>",
                "<c r=\"B2\"><v>1e308</v></c>",
                "<c t=\"e\"><v>#DIV/0!</v></c>",
                "<mergeCells><mergeCell ref=\"D3:D1\"/></mergeCells>",
                "<mergeCell ref=\"A1:A1048576\"/>",
                "<dimension ref=\"A1:XFD1048576\"/>",
                "<c r=\"A0\">",
                "r=\"4294967296\"",
                "<sheetData>",
                "</sheetData>",
                "&amp;",
                "<![CDATA[",
            ],
            Target::Protocol => &[
                "{\"type\":\"hello\",\"cid\":\"1\",\"protocol\":1,\"role\":\"member\",\"pin\":\"123456\",\"name\":\"a\"}",
                "\"type\":",
                "\"vote\"",
                "\"answer\"",
                "\"cid\":",
                "\"motion\":",
                "\"option\":",
                "\"choice\":[",
                "18446744073709551616",
                "-1",
                "1e999",
                "null",
                "{",
                "}",
                "[",
                "]",
                "\"\\ud800\"",
                "\"role\":\"host\"",
            ],
        }
    }

    /// Parses one input; panics are what the fuzzer looks for.
    pub fn run(self, input: &[u8]) {
        match self {
            Target::Bank => {
                let parsed = crate::bank::parse("fuzz", &String::from_utf8_lossy(input));
                // What the editor saves opens as the same bank.
                if let Some(bank) = parsed.bank {
                    let text = crate::bank_import::write::bank_md(&bank);
                    let back = crate::bank::parse("fuzz", &text);
                    assert_eq!(back.bank.as_ref(), Some(&bank), "{text}");
                }
            }
            Target::RosterCsv => {
                let _ = crate::roster::parse(crate::roster::Format::Csv, input);
            }
            Target::RosterXlsx => {
                // Inputs starting with "PK" are ZIP files as they are.
                let file = if input.starts_with(b"PK") {
                    input.to_vec()
                } else {
                    crate::tabular::testing::xlsx_with_sheet(&String::from_utf8_lossy(input))
                };
                let _ = crate::roster::parse(crate::roster::Format::Xlsx, &file);
            }
            Target::Motions => {
                let _ = crate::vote::motions_file::parse(&String::from_utf8_lossy(input));
            }
            Target::Protocol => {
                if let Ok(s) = std::str::from_utf8(input) {
                    let _ = serde_json::from_str::<crate::protocol::ClientMsg>(s);
                }
            }
        }
    }
}

/// xorshift64*: small, fast, reproducible from a seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

/// Largest mutated input.
const MAX_INPUT: usize = 64 * 1024;

/// One mutation of `data`.
fn mutate(rng: &mut Rng, data: &mut Vec<u8>, seeds: &[Vec<u8>], dict: &[&str]) {
    let pos = |rng: &mut Rng, data: &Vec<u8>| rng.below(data.len() + 1);
    match rng.below(8) {
        0 if !data.is_empty() => {
            let i = rng.below(data.len());
            data[i] ^= 1 << rng.below(8);
        }
        1 if !data.is_empty() => {
            let i = rng.below(data.len());
            data[i] = rng.next_u64() as u8;
        }
        2 => {
            let i = pos(rng, data);
            let bytes = [
                0u8, 0xFF, b'\n', b'"', b'<', b'>', b':', b'0', b'9', 0x80, 0xC3,
            ];
            data.insert(i, bytes[rng.below(bytes.len())]);
        }
        3 if !data.is_empty() => {
            let i = rng.below(data.len());
            let n = 1 + rng.below((data.len() - i).min(64));
            data.drain(i..i + n);
        }
        4 if !data.is_empty() => {
            // Duplicate a chunk (grows repetitive structures).
            let i = rng.below(data.len());
            let n = 1 + rng.below((data.len() - i).min(256));
            let chunk = data[i..i + n].to_vec();
            let j = pos(rng, data);
            data.splice(j..j, chunk);
        }
        5 if !seeds.is_empty() => {
            // Splice in part of another seed.
            let other = &seeds[rng.below(seeds.len())];
            if !other.is_empty() {
                let i = rng.below(other.len());
                let n = 1 + rng.below((other.len() - i).min(512));
                let j = pos(rng, data);
                data.splice(j..j, other[i..i + n].iter().copied());
            }
        }
        _ if !dict.is_empty() => {
            let token = dict[rng.below(dict.len())].as_bytes();
            let j = pos(rng, data);
            data.splice(j..j, token.iter().copied());
        }
        _ => {}
    }
    data.truncate(MAX_INPUT);
}

/// What a run found.
#[derive(Debug, Default)]
pub struct Report {
    pub inputs: u64,
    pub elapsed: Duration,
    /// Inputs that panicked, and where they were saved.
    pub crashes: Vec<PathBuf>,
    /// Inputs slower than [`SLOW`].
    pub slow: Vec<PathBuf>,
    pub slowest: Duration,
    /// Panics caught inside the parsers (the spreadsheet library's, which
    /// `tabular` turns into "not a valid workbook"): not crashes, but
    /// counted, and the first one saved.
    pub caught: u64,
    /// The slowest input, saved to be timed again alone.
    pub slowest_input: Option<PathBuf>,
}

/// The seeds of a target: every file in `corpus/<target>/`.
pub fn seeds(corpus: &Path, target: Target) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus.join(target.name()))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .filter_map(|p| std::fs::read(p).ok())
        .collect()
}

/// Runs `target` on `inputs` mutated inputs (or until `time` is up),
/// saving crashing and slow inputs in `out`.
pub fn run(
    target: Target,
    seeds: &[Vec<u8>],
    inputs: u64,
    time: Duration,
    seed: u64,
    out: &Path,
) -> Report {
    let mut rng = Rng::new(seed);
    let dict = target.dictionary();
    let started = Instant::now();
    let mut report = Report::default();
    let mut slowest: Vec<u8> = Vec::new();
    // Panics are counted (caught or not); keep their messages out of the way.
    static PANICS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {
        PANICS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }));
    while report.inputs < inputs && started.elapsed() < time {
        let mut data = if seeds.is_empty() {
            Vec::new()
        } else {
            seeds[rng.below(seeds.len())].clone()
        };
        // The seeds as they are first, then 1 to 8 mutations each.
        if report.inputs >= seeds.len() as u64 {
            for _ in 0..1 + rng.below(8) {
                mutate(&mut rng, &mut data, seeds, dict);
            }
        }
        let t = Instant::now();
        let before = PANICS.load(std::sync::atomic::Ordering::Relaxed);
        let ok = std::panic::catch_unwind(|| target.run(&data)).is_ok();
        if ok && PANICS.load(std::sync::atomic::Ordering::Relaxed) != before {
            if report.caught == 0 {
                save(out, target, "caught", &data);
            }
            report.caught += 1;
        }
        let took = t.elapsed();
        if took > report.slowest {
            report.slowest = took;
            slowest.clone_from(&data);
        }
        report.inputs += 1;
        if !ok {
            report.crashes.push(save(out, target, "crash", &data));
        } else if took > SLOW {
            report.slow.push(save(out, target, "slow", &data));
        }
    }
    std::panic::set_hook(hook);
    report.elapsed = started.elapsed();
    report.slowest_input = Some(save(out, target, "slowest", &slowest));
    report
}

fn save(out: &Path, target: Target, kind: &str, data: &[u8]) -> PathBuf {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(data);
    let name = format!(
        "{kind}-{}-{}",
        target.name(),
        hash.iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let path = out.join(name);
    let _ = std::fs::create_dir_all(out);
    let _ = std::fs::write(&path, data);
    path
}
