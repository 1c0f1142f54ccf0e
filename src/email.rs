//! The email message (MIME) and its delivery over SMTP.
//!
//! Structure: `multipart/alternative` with the plain-text part first and a `multipart/related`
//! (HTML plus the charts as PNG parts referenced by `cid:`); wrapped in `multipart/mixed` when
//! the pack's files are attached.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

use crate::config::TlsMode;
use crate::error::{Error, Result};
use crate::render::email::EmailContent;

/// The environment variable that holds the SMTP password.
pub const PASSWORD_VAR: &str = "GOVREVIEW_SMTP_PASSWORD";

/// Who sends and who receives.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// Sender.
    pub from: Mailbox,
    /// Recipients.
    pub to: Vec<Mailbox>,
    /// Copy recipients.
    pub cc: Vec<Mailbox>,
}

/// A file attached to the message.
#[derive(Debug, Clone)]
pub struct FileAttachment {
    /// File name.
    pub name: String,
    /// MIME type.
    pub content_type: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// Parses an address, naming where it came from when it is not one.
pub fn mailbox(s: &str, what: &str) -> Result<Mailbox> {
    s.parse().map_err(|_| {
        Error::Usage(format!(
            "{what} `{s}` is not an email address; write `name@example.com` or `Name <name@example.com>`"
        ))
    })
}

fn content_type(s: &str) -> Result<ContentType> {
    ContentType::parse(s).map_err(|e| Error::Internal(format!("content type {s}: {e}")))
}

/// A hash of the message's content and recipients: the same review to the same people gives the
/// same value (for the Message-ID and the MIME boundaries).
fn content_hash(content: &EmailContent, env: &Envelope) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in content
        .subject
        .bytes()
        .chain(content.text.bytes())
        .chain(content.html.bytes())
        .chain(env.to.iter().flat_map(|m| m.email.to_string().into_bytes()))
    {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A stable, unique Message-ID for the content: the same review sent twice has the same ID.
fn message_id(content: &EmailContent, env: &Envelope) -> String {
    format!(
        "<govreview.{:016x}@{}>",
        content_hash(content, env),
        env.from.email.domain()
    )
}

/// Builds the message. `date` dates it (midnight UTC) instead of the current time, for a dry run
/// that must be reproducible.
pub fn build(
    content: &EmailContent,
    env: &Envelope,
    files: &[FileAttachment],
    date: Option<chrono::NaiveDate>,
) -> Result<Message> {
    // Boundaries from the content, not random: the same pack gives the same file. `=_` cannot
    // occur in a quoted-printable or base64 body, so no part can contain them.
    let h = content_hash(content, env);
    let boundary = |part: &str| format!("=_govreview_{h:016x}_{part}");
    let mut related = MultiPart::related()
        .boundary(boundary("related"))
        .singlepart(SinglePart::html(content.html.clone()));
    for img in &content.images {
        related = related.singlepart(
            Attachment::new_inline(img.cid.clone())
                .body(img.bytes.clone(), content_type("image/png")?),
        );
    }
    let alternative = MultiPart::alternative()
        .boundary(boundary("alternative"))
        .singlepart(SinglePart::plain(content.text.clone()))
        .multipart(related);
    let body = if files.is_empty() {
        alternative
    } else {
        let mut mixed = MultiPart::mixed()
            .boundary(boundary("mixed"))
            .multipart(alternative);
        for f in files {
            mixed = mixed.singlepart(
                Attachment::new(f.name.clone())
                    .body(f.bytes.clone(), content_type(&f.content_type)?),
            );
        }
        mixed
    };
    let mut builder = Message::builder()
        .from(env.from.clone())
        .subject(content.subject.clone())
        .message_id(Some(message_id(content, env)));
    builder = match date {
        Some(d) => {
            let secs = d
                .and_hms_opt(0, 0, 0)
                .map_or(0, |t| t.and_utc().timestamp());
            builder.date(std::time::UNIX_EPOCH + Duration::from_secs(secs.max(0) as u64))
        }
        None => builder.date_now(),
    };
    for to in &env.to {
        builder = builder.to(to.clone());
    }
    for cc in &env.cc {
        builder = builder.cc(cc.clone());
    }
    builder
        .multipart(body)
        .map_err(|e| Error::Usage(format!("the message cannot be built: {e}")))
}

/// Where and how to send.
#[derive(Debug, Clone)]
pub struct Smtp {
    /// Server host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Security.
    pub tls: TlsMode,
    /// User name, when the server needs a login.
    pub username: Option<String>,
    /// Password (from the environment only).
    pub password: Option<String>,
    /// Extra CA certificate to trust (PEM).
    pub ca_pem: Option<Vec<u8>>,
}

/// Sends the message. Refuses a login over an unencrypted connection, and an unencrypted
/// connection to anything but loopback.
pub fn send(msg: &Message, smtp: &Smtp) -> Result<()> {
    if smtp.tls == TlsMode::None && !crate::net::is_loopback_host(&smtp.host) {
        return Err(Error::Usage(format!(
            "tls = none is only for a server on loopback; {} would get the message (and any login) unencrypted. Use starttls or tls",
            smtp.host
        )));
    }
    let params = || -> Result<TlsParameters> {
        let mut b = TlsParameters::builder(smtp.host.clone());
        if let Some(pem) = &smtp.ca_pem {
            let cert = Certificate::from_pem(pem).map_err(|e| {
                Error::Usage(format!("the CA certificate is not a PEM certificate: {e}"))
            })?;
            b = b.add_root_certificate(cert);
        }
        b.build_rustls()
            .map_err(|e| Error::Internal(format!("TLS setup: {e}")))
    };
    let tls = match smtp.tls {
        TlsMode::Starttls => Tls::Required(params()?),
        TlsMode::Tls => Tls::Wrapper(params()?),
        TlsMode::None => Tls::None,
    };
    let mut builder = SmtpTransport::builder_dangerous(smtp.host.clone())
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(Duration::from_secs(30)));
    if let Some(user) = &smtp.username {
        let password = smtp.password.clone().ok_or_else(|| {
            Error::Usage(format!(
                "email.username is set but {PASSWORD_VAR} is not; the SMTP password is read from the environment only"
            ))
        })?;
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    let transport = builder.build();
    transport.send(msg).map(|_| ()).map_err(|e| {
        let server = format!("{}:{}", smtp.host, smtp.port);
        // The server's words, on one line (a reply with line breaks could forge output lines).
        let text = crate::secret::printable(&e.to_string());
        let why = if text.contains("authentication mechanism") {
            format!("{server} offers no login (AUTH) that govreview can use: drop email.username to send without one, or use a server that authenticates")
        } else if e.is_tls() || text.contains("certificate") || text.contains("corrupt message") {
            tls_in_words(&text, &smtp.host, &server)
        } else if e.is_permanent() {
            let code = e.status().map(|c| c.to_string()).unwrap_or_default();
            if code.starts_with("53") {
                format!("{server} refused the login ({text}); check email.username and {PASSWORD_VAR}")
            } else {
                format!("{server} rejected the message ({text}); check the recipients and the sender")
            }
        } else if e.is_transient() {
            format!("{server} deferred the message ({text}); try again later")
        } else {
            format!("cannot deliver through {server}: {text}; check email.smtp_host and smtp_port, and that the server is up")
        };
        let secrets: Vec<&str> = smtp.password.as_deref().into_iter().collect();
        Error::Input(crate::secret::redact(&why, &secrets, smtp.username.as_deref()))
    })
}

/// A TLS failure in words a user can act on, with the library's text after them.
fn tls_in_words(text: &str, host: &str, server: &str) -> String {
    let what = if text.contains("UnknownIssuer") {
        format!(
            "{server}'s certificate is not signed by an authority this machine trusts; for a private mail relay, set email.ca_cert (or --ca-cert) to its CA certificate"
        )
    } else if text.contains("NotValidForName") {
        format!(
            "{server}'s certificate is not issued for `{host}`; set email.smtp_host to the name on the certificate"
        )
    } else if text.contains("Expired") {
        format!("{server}'s certificate has expired; the server's administrator must renew it")
    } else if text.contains("NotValidYet") {
        format!("{server}'s certificate is not valid yet; check this machine's clock")
    } else if text.contains("corrupt message") || text.contains("InvalidContentType") {
        format!(
            "{server} did not answer in TLS: use tls = \"starttls\" (usually port 587) or tls = \"tls\" (usually port 465) to match the server"
        )
    } else {
        format!(
            "the secure connection to {server} failed; check email.smtp_host, email.tls and email.ca_cert"
        )
    };
    format!("{what} ({text})")
}
