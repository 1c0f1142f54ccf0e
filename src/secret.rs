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

/// A terminal stream that writes bidirectional formatting characters out visibly (`\u{202e}`),
/// whatever printed them: an owner, team or file name holding one would reorder the line around
/// it (a name reading as another, a suggested command that is not what it shows). The tool's own
/// text never holds them; a character split between two writes is held until the next.
pub struct BidiVisible<W: std::io::Write> {
    inner: W,
    pending: Vec<u8>,
    /// Standard output: once a reader closes the pipe (`govreview review | head -1`), the rest
    /// of the output is dropped and the command finishes its work, with its own exit code.
    pipe: bool,
    closed: bool,
}

impl<W: std::io::Write> BidiVisible<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        BidiVisible {
            inner,
            pending: Vec::new(),
            pipe: false,
            closed: false,
        }
    }

    /// Wraps standard output: see [`BidiVisible::pipe`].
    pub fn stdout(inner: W) -> Self {
        BidiVisible {
            pipe: true,
            ..Self::new(inner)
        }
    }

    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let r = self.inner.write_all(bytes);
        self.ended(r)
    }

    /// `r`, unless it says standard output's reader has gone: then the output ends quietly.
    fn ended(&mut self, r: std::io::Result<()>) -> std::io::Result<()> {
        match r {
            Err(e) if self.pipe && e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

/// The UTF-8 of a bidirectional formatting character starting `b`, and its length.
fn bidi_at(b: &[u8]) -> Option<(char, usize)> {
    let c = match b {
        [0xD8, 0x9C, ..] => return Some(('\u{061C}', 2)),
        [0xE2, 0x80, x @ (0x8E | 0x8F | 0xAA..=0xAE), ..] => 0x2000 + u32::from(*x - 0x80),
        [0xE2, 0x81, x @ 0xA6..=0xA9, ..] => 0x2040 + u32::from(*x - 0x80),
        _ => return None,
    };
    char::from_u32(c).map(|c| (c, 3))
}

impl<W: std::io::Write> std::io::Write for BidiVisible<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut data = std::mem::take(&mut self.pending);
        data.extend_from_slice(buf);
        // The start of a character the next write completes.
        let held = match data.as_slice() {
            [.., 0xE2, 0x80 | 0x81] => 2,
            [.., 0xE2 | 0xD8] => 1,
            _ => 0,
        };
        let (now, later) = data.split_at(data.len() - held);
        let mut out = Vec::with_capacity(now.len());
        let mut i = 0;
        while i < now.len() {
            match bidi_at(&now[i..]) {
                Some((c, n)) => {
                    out.extend_from_slice(c.escape_unicode().to_string().as_bytes());
                    i += n;
                }
                None => {
                    out.push(now[i]);
                    i += 1;
                }
            }
        }
        self.pending = later.to_vec();
        self.put(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let rest = std::mem::take(&mut self.pending);
        self.put(&rest)?;
        if self.closed {
            return Ok(());
        }
        let r = self.inner.flush();
        self.ended(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_characters_reach_the_terminal_written_out() {
        use std::io::Write;
        let text = "owner Dana\u{202E}Whitfield, \u{2067}x\u{2069} \u{200F} \u{061C} é ‐ ok";
        let bytes = text.as_bytes();
        // Whole, and split at every byte.
        for cut in 0..=bytes.len() {
            let mut w = BidiVisible::new(Vec::new());
            w.write_all(&bytes[..cut]).unwrap();
            w.write_all(&bytes[cut..]).unwrap();
            w.flush().unwrap();
            assert_eq!(
                String::from_utf8(w.inner.clone()).unwrap(),
                "owner Dana\\u{202e}Whitfield, \\u{2067}x\\u{2069} \\u{200f} \\u{61c} é ‐ ok",
                "cut at {cut}"
            );
        }
    }

    /// A closed pipe on standard output drops the rest of the output, without an error; on
    /// standard error (or a file) it is an error.
    #[test]
    fn a_closed_pipe_ends_standard_output_quietly() {
        use std::io::Write;
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut out = BidiVisible::stdout(Closed);
        assert!(writeln!(out, "one").is_ok() && writeln!(out, "two").is_ok());
        assert!(out.flush().is_ok());
        let mut err = BidiVisible::new(Closed);
        assert!(writeln!(err, "one").is_err());
    }

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
