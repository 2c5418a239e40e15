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
        if is_combining_mark(c) || is_invisible(c) {
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

/// Characters that change how text looks or reads without showing:
/// controls, bidirectional overrides and isolates (RLO turns "Lan" into
/// "naL" on screen), zero-width joiners, the soft hyphen, Hangul and
/// Braille fillers that look like nothing, and tag characters. Names,
/// titles, motions and roster entries refuse them ([`find_invisible`]), and
/// [`fold`] drops them so two names that look the same compare the same.
/// (Zero-width spaces are whitespace here, see [`is_space`].)
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}'
            | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200C}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}' | '\u{2061}'..='\u{206F}' | '\u{2800}' | '\u{3164}'
            | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}' | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E007F}')
}

/// The first invisible character of `s` ([`is_invisible`]), as `U+XXXX`,
/// for a message that says what to remove.
pub fn find_invisible(s: &str) -> Option<String> {
    s.chars()
        .find(|c| is_invisible(*c))
        .map(|c| format!("U+{:04X}", c as u32))
}

/// A user's value as it may go in a log line: control and invisible
/// characters escaped (no terminal escapes, no forged lines), at most 80
/// characters.
pub fn for_log(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == 80 {
            out.push('…');
            break;
        }
        if is_invisible(c) || c == '\\' || c == '"' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
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
    fn invisible_characters_are_found_folded_and_escaped() {
        for s in [
            "La\u{202E}n",
            "A\u{200D}n",
            "\u{3164}",
            "An\u{E0041}",
            "B\u{00AD}inh",
            "x\u{7}",
        ] {
            assert!(find_invisible(s).is_some(), "{s:?}");
        }
        assert_eq!(find_invisible("La\u{202E}n").as_deref(), Some("U+202E"));
        assert_eq!(find_invisible("Nguyễn Văn Ân"), None);
        // Emoji with a joiner are the one loss, and a small one for names.
        assert_eq!(fold("A\u{200D}n"), fold("An"));
        assert_eq!(fold("La\u{202E}n"), "lan");
        assert_eq!(for_log("a\u{1b}[31mb\nc"), "a\\u{1b}[31mb\\nc");
        assert_eq!(for_log(&"x".repeat(100)).chars().count(), 81);
    }

    #[test]
    fn keeps_marks_when_asked() {
        assert_eq!(fold_keep_marks(" Tháng  Một "), "tháng một");
        assert_ne!(fold_keep_marks("tháng"), fold_keep_marks("thang"));
    }
}
