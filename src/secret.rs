//! Keeping secrets out of what is shown or written: a server's error text may echo the password
//! or key it was given (an SMTP 535 reply quoting the decoded login, an API 401 body quoting the
//! key), and that text ends up in a terminal, a CI log or a file.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// `text` with every occurrence of each secret (and of the base64 forms an SMTP login sends:
/// the secret alone, and `\0user\0secret` for AUTH PLAIN) replaced by `[redacted]`. Secrets
/// shorter than 4 characters are not searched for (they would mask ordinary words).
pub fn redact(text: &str, secrets: &[&str], user: Option<&str>) -> String {
    let mut out = text.to_owned();
    for s in secrets.iter().filter(|s| s.chars().count() >= 4) {
        let mut forms = vec![(*s).to_owned(), STANDARD.encode(s)];
        if let Some(u) = user {
            forms.push(STANDARD.encode(format!("\0{u}\0{s}")));
        }
        // Longest first, so a form that contains another is replaced whole.
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        for f in forms {
            out = out.replace(&f, REDACTED);
        }
    }
    out
}

/// Text a remote server sent, fit to print on one line: line breaks and other control characters
/// (which could forge lines of output or move a terminal's cursor) become spaces or `\u{..}`.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\r' | '\n' | '\t' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c if c.is_control() || crate::fmt::is_bidi(c) => {
                out.push_str(&c.escape_unicode().to_string());
            }
            c => out.push(c),
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_text_prints_on_one_line() {
        assert_eq!(
            printable("550 no such user\r\n250 OK forged\x1b[2J"),
            "550 no such user 250 OK forged\\u{1b}[2J"
        );
    }

    #[test]
    fn plain_and_encoded_secrets_go() {
        let msg = "535 5.7.8 bad credentials for finops@x.example:hunter2-long (AGZpbm9wc0B4LmV4YW1wbGUAaHVudGVyMi1sb25n)";
        let r = redact(msg, &["hunter2-long"], Some("finops@x.example"));
        assert!(!r.contains("hunter2-long"), "{r}");
        assert!(!r.contains("AGZpbm9wc0B4"), "{r}");
        assert!(r.contains("finops@x.example:[redacted]"), "{r}");
        let k = "sk-ant-admin01-abcdef";
        let r = redact(&format!("invalid x-api-key {k}"), &[k], None);
        assert_eq!(r, "invalid x-api-key [redacted]");
        assert_eq!(redact("a b c", &["b"], None), "a b c");
    }
}
