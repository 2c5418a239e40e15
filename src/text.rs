//! Text folding shared by typed-answer matching, name uniqueness and file
//! header matching: people type "Tháng", "thang " or "THÁNG" and mean the same.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lower-cases, trims, collapses inner whitespace and strips Vietnamese
/// diacritics (NFD, drop combining marks, map đ to d).
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.to_lowercase().nfd() {
        if is_space(c) {
            pending_space = true;
            continue;
        }
        if is_combining_mark(c) {
            continue;
        }
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        // 'ð' (eth) looks identical to 'đ' and is what Windows-1258 text
        // becomes when misread as Latin-1, so it folds the same way.
        out.push(if matches!(c, 'đ' | 'ð') { 'd' } else { c });
    }
    out
}

/// Whitespace, including the zero-width characters spreadsheets leave behind.
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200B}' | '\u{2060}' | '\u{FEFF}')
}

/// Lower-cases, trims and collapses whitespace, keeping diacritics: for banks
/// that ask for exact Vietnamese spelling ("diacritics: exact").
pub fn fold_keep_marks(s: &str) -> String {
    collapse(&s.nfc().collect::<String>().to_lowercase())
}

/// Trims and collapses runs of whitespace to one space.
pub fn collapse(s: &str) -> String {
    s.split(is_space)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese() {
        assert_eq!(
            fold("  ĐẢNG\u{a0}viên\tChính  THỨC "),
            "dang vien chinh thuc"
        );
        assert_eq!(
            fold("  ĐẢNG\u{a0}viên\tChính  THỨC "),
            "dang vien chinh thuc"
        );
        assert_eq!(fold("  Mỗi   THÁNG một lần "), "moi thang mot lan");
        assert_eq!(fold("Đảng viên dự bị"), "dang vien du bi");
        assert_eq!(fold("Nguyễn Văn Ân"), fold("nguyen van an"));
        // Precomposed and decomposed input fold the same.
        assert_eq!(fold("Tha\u{301}ng"), fold("Tháng"));
    }

    #[test]
    fn keeps_marks_when_asked() {
        assert_eq!(fold_keep_marks(" Tháng  Một "), "tháng một");
        assert_ne!(fold_keep_marks("tháng"), fold_keep_marks("thang"));
    }
}
