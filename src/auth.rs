//! Secrets: the host secret and member tokens.

/// Compares secrets in time independent of where they differ.
pub fn secret_matches(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Member tokens may be chosen by the client (so a join resent after a lost
/// reply is idempotent), but must be long and random-looking: 22 to 128
/// URL-safe characters (22 base64 characters hold 128 bits).
pub fn token_is_strong(t: &str) -> bool {
    (22..=128).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A fresh random token (128 bits, hex).
pub fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A fresh host secret: short enough to type from a phone, long enough
/// (80 bits) not to be guessed on a meeting-room network.
pub fn new_host_secret() -> String {
    let u = uuid::Uuid::new_v4();
    let alphabet = b"abcdefghjkmnpqrstuvwxyz23456789";
    u.as_bytes()[..16]
        .iter()
        .take(16)
        .map(|b| alphabet[*b as usize % alphabet.len()] as char)
        .collect()
}

/// The secret from an `Authorization: Bearer ...` header value.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let v = header?.trim();
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_tokens() {
        assert!(secret_matches("abc", "abc"));
        assert!(!secret_matches("abd", "abc"));
        assert!(!secret_matches("ab", "abc"));
        assert!(token_is_strong(&new_token()));
        assert!(!token_is_strong("short"));
        assert!(!token_is_strong("aaaaaaaaaaaaaaaaaaaaaaaaa<script>"));
        assert_eq!(new_host_secret().len(), 16);
        assert_eq!(bearer(Some("Bearer s3cret")), Some("s3cret"));
        assert_eq!(bearer(Some("Basic x")), None);
        assert_eq!(bearer(None), None);
    }
}
