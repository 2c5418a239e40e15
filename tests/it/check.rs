//! `handsup check`: validates bank files and names every problem.

use std::process::Command;

fn check(files: &[&std::path::Path]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_handsup"))
        .arg("check")
        .args(files)
        .output()
        .expect("run handsup check");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn shipped_banks_pass_and_report_their_size() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let vi = root.join("question-banks/chi-bo.bank.md");
    let en = root.join("question-banks/demo-en.bank.md");
    let (ok, out, err) = check(&[&vi, &en]);
    assert!(ok, "{out}{err}");
    assert!(err.is_empty(), "the shipped banks have no warnings: {err}");
    let n: usize = out
        .lines()
        .find(|l| l.contains("chi-bo.bank.md"))
        .and_then(|l| l.split(", ").last())
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .expect("a question count");
    assert!(n >= 30, "{out}");
    assert!(out.contains("demo-en.bank.md: ok"), "{out}");
}

#[test]
fn broken_banks_name_file_line_and_fix_and_fail() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.bank.md");
    std::fs::write(
        &bad,
        "# Bad bank\n\n## No correct option\n- [ ] a\n- [ ] b\n\n## Typo\n- [x] a\n- [ ] b\ntme: 10\n",
    )
    .unwrap();
    let good = dir.path().join("good.bank.md");
    std::fs::write(&good, "# Good\n## Q\n- [x] a\n- [ ] b\nexplanation: e\n").unwrap();
    let missing = dir.path().join("missing.bank.md");
    let (ok, out, err) = check(&[&good, &bad, &missing]);
    assert!(!ok, "errors make the exit code non-zero");
    assert!(out.contains("good.bank.md: ok"), "{out}");
    assert!(out.contains("bad.bank.md: FAILED — 2 error(s)"), "{out}");
    let bad_s = bad.display().to_string();
    assert!(
        err.contains(&format!("{bad_s}:3: error: no option is marked correct")),
        "{err}"
    );
    assert!(
        err.contains("fix: mark the correct option as `- [x] text`"),
        "{err}"
    );
    assert!(
        err.contains(&format!("{bad_s}:10: error: unknown question field `tme`")),
        "{err}"
    );
    assert!(err.contains("missing.bank.md: cannot read"), "{err}");
}
