//! `govreview email`: the review as an email: written to an .eml file, sent over SMTP, or both.

use std::io::Write;
use std::path::PathBuf;

use chrono::NaiveDate;

use crate::actions::{Register, write_atomic};
use crate::cli::{EmailArgs, GlobalArgs};
use crate::config::TlsMode;
use crate::email::{self, Envelope, FileAttachment, PASSWORD_VAR, Smtp, mailbox};
use crate::error::{Error, Result};
use crate::render::Templates;
use crate::report;

/// Builds the message of a review month and writes and/or sends it.
pub fn run(
    global: &GlobalArgs,
    args: &EmailArgs,
    as_of: NaiveDate,
    out: &mut dyn Write,
) -> Result<()> {
    if args.eml.is_none() && !args.send {
        return Err(Error::Usage(
            "say what to do with the message: --eml FILE to write it (a dry run to open in a mail client), --send to send it, or both".into(),
        ));
    }
    let templates = Templates::new(args.templates.as_deref())?;
    let (cfg, mut model) = super::review::build_model(global, args.month, &args.input, as_of)?;
    let month = model.month;
    let pack = args.out.join(month.to_string());
    if !pack.join("review.md").is_file() {
        return Err(Error::Usage(format!(
            "there is no review pack for {month} in {}: run `govreview review --month {month}` first (the email carries the pack's files)",
            pack.display()
        )));
    }
    let register = Register::load(
        &args
            .register
            .clone()
            .unwrap_or_else(|| args.out.join("actions.toml")),
    )?;
    report::link_register(&mut model, &register.actions, &cfg);

    let e = &cfg.email;
    let attach = !args.no_attachments && e.attach_pack.unwrap_or(true);
    let content = crate::render::email::render(
        &model,
        &templates,
        args.team.as_deref(),
        e.subject.as_deref(),
        attach,
    )?;

    let from = args
        .from
        .clone()
        .or_else(|| e.from.clone())
        .ok_or_else(|| {
            Error::Usage("no sender: set email.from in the config or pass --from".into())
        })?;
    let to: Vec<String> = if !args.to.is_empty() {
        args.to.clone()
    } else if let Some(t) = &args.team {
        cfg.team_emails.get(t).cloned().into_iter().collect()
    } else {
        e.to.clone()
    };
    if to.is_empty() {
        return Err(Error::Usage(match &args.team {
            Some(t) => {
                format!("no recipient for team {t}: set teams.{t}.email in the config or pass --to")
            }
            None => "no recipients: set email.to in the config or pass --to".into(),
        }));
    }
    let envelope = Envelope {
        from: mailbox(&from, "sender")?,
        to: to
            .iter()
            .map(|t| mailbox(t, "recipient"))
            .collect::<Result<_>>()?,
        cc: if args.team.is_some() {
            Vec::new()
        } else {
            e.cc.iter()
                .map(|c| mailbox(c, "copy recipient"))
                .collect::<Result<_>>()?
        },
    };
    let mut files = Vec::new();
    if attach {
        for (name, ct) in [
            ("review.md", "text/markdown; charset=utf-8"),
            ("metrics.json", "application/json"),
        ] {
            let p = pack.join(name);
            let bytes = std::fs::read(&p).map_err(|e| Error::io(&p, "cannot read", e))?;
            files.push(FileAttachment {
                name: name.to_owned(),
                content_type: ct.to_owned(),
                bytes,
            });
        }
    }
    let msg = email::build(&content, &envelope, &files)?;
    let bytes = msg.formatted();
    let io = |e| Error::io("stdout", "cannot write", e);
    if let Some(eml) = &args.eml {
        write_atomic(eml, &bytes)?;
        if !args.quiet {
            writeln!(
                out,
                "Wrote {} ({} KB; HTML part {} KB, {} chart{}): {}",
                eml.display(),
                bytes.len().div_ceil(1024),
                content.html.len().div_ceil(1024),
                content.images.len(),
                if content.images.len() == 1 { "" } else { "s" },
                content.subject
            )
            .map_err(io)?;
        }
    }
    if args.send {
        let tls = args.tls.or(e.tls).unwrap_or(TlsMode::Starttls);
        let host = args
            .smtp_host
            .clone()
            .or_else(|| e.smtp_host.clone())
            .ok_or_else(|| {
                Error::Usage(
                    "no SMTP server: set email.smtp_host in the config or pass --smtp-host".into(),
                )
            })?;
        let port = args.smtp_port.or(e.smtp_port).unwrap_or(match tls {
            TlsMode::Starttls => 587,
            TlsMode::Tls => 465,
            TlsMode::None => 25,
        });
        let ca_path: Option<PathBuf> = args
            .ca_cert
            .clone()
            .or_else(|| e.ca_cert.as_ref().map(|c| cfg.base_dir.join(c)));
        let ca_pem = match &ca_path {
            Some(p) => Some(
                std::fs::read(p).map_err(|e| Error::io(p, "cannot read the CA certificate", e))?,
            ),
            None => None,
        };
        let smtp = Smtp {
            host: host.clone(),
            port,
            tls,
            username: e.username.clone(),
            password: std::env::var(PASSWORD_VAR).ok().filter(|p| !p.is_empty()),
            ca_pem,
        };
        email::send(&msg, &smtp)?;
        if !args.quiet {
            writeln!(
                out,
                "Sent to {} via {host}:{port}: {}",
                to.join(", "),
                content.subject
            )
            .map_err(io)?;
        }
    }
    Ok(())
}
