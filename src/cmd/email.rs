//! `govreview email`: the review as an email: written to an .eml file, sent over SMTP, or both.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::cli::{EmailArgs, GlobalArgs};
use crate::config::TlsMode;
use crate::email::{self, Envelope, FileAttachment, Smtp, mailbox};
use crate::error::{Error, Result};
use crate::fsx::write_atomic;
use crate::month::Month;
use crate::render::Templates;
use crate::{Env, pipeline};

/// The address of a dry run's .eml when the config names no sender or recipient.
const PLACEHOLDER: &str = "govreview <review@example.invalid>";

/// The date a pack was made on, from its `metrics.json`.
fn pack_date(pack: &Path) -> Result<NaiveDate> {
    let p = pack.join("metrics.json");
    let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, "cannot read", e))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        Error::data(
            &p,
            None,
            None,
            format!("is not the JSON govreview writes ({e}); run `govreview review` again"),
        )
    })?;
    v.get("as_of")
        .and_then(|d| d.as_str())
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| {
            Error::data(
                &p,
                None,
                Some("as_of"),
                "has no review date; run `govreview review` again",
            )
        })
}

/// Builds the message of a review month and writes and/or sends it. The message is of the pack:
/// it is dated like the pack (`--as-of`, when given, must agree).
pub fn run(global: &GlobalArgs, args: &EmailArgs, env: &Env, out: &mut dyn Write) -> Result<()> {
    let today = env.today;
    if args.eml.is_none() && !args.send {
        return Err(Error::Usage(
            "say what to do with the message: --eml FILE to write it (a dry run to open in a mail client), --send to send it, or both".into(),
        ));
    }
    // An .eml name keeps the message off every file govreview reads or a person edits (the
    // configuration, the register, a page of the pack, the data).
    if let Some(eml) = &args.eml
        && !eml
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("eml"))
    {
        return Err(Error::Usage(format!(
            "{}: the message file must end in .eml (it is written whole, replacing any file of that name)",
            eml.display()
        )));
    }
    let templates = Templates::new(args.templates.as_deref())?;
    let cfg = pipeline::load_config(&global.config)?;
    if let Some(eml) = &args.eml {
        // Through a link or another spelling, the message never replaces a file the review
        // reads (the configuration, the register, the data).
        let inputs: Vec<std::path::PathBuf> = pipeline::files(&cfg, &pipeline::Inputs::default())
            .map(|f| f.into_iter().map(|(p, _)| p).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .chain([cfg.path.clone(), cfg.register.clone()])
            .collect();
        crate::fsx::check_not_inputs(&[("--eml", eml.as_path())], &inputs)?;
    }
    if let Some(t) = &args.team
        && !cfg.team_owners.contains_key(t)
    {
        return Err(Error::Usage(format!(
            "team `{t}` is not in {}; teams there: {}",
            cfg.path.display(),
            if cfg.team_owners.is_empty() {
                "none (add [teams.<name>] with owner and email)".to_owned()
            } else {
                cfg.team_owners
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        )));
    }
    let out_dir = args.out.clone().unwrap_or_else(|| cfg.out_dir.clone());
    let month = args
        .month
        .unwrap_or_else(|| Month::of(global.as_of.unwrap_or(today)).prev());
    let pack = out_dir.join(month.to_string());
    if !pack.join("review.md").is_file() {
        return Err(Error::Usage(format!(
            "there is no review pack for {month} in {}: run `govreview review --month {month}` first (the email carries the pack's files)",
            pack.display()
        )));
    }
    let made_on = pack_date(&pack)?;
    if let Some(d) = global.as_of
        && d != made_on
    {
        return Err(Error::Usage(format!(
            "the {month} pack in {} was made on {made_on}, but --as-of is {d}: an email is of a pack. Drop --as-of to send the pack as made, or first run `govreview review --month {month} --as-of {d}`",
            pack.display()
        )));
    }
    let as_of = made_on;
    let register_path = match (&args.register, &args.out) {
        (Some(r), _) => r.clone(),
        (None, Some(o)) => o.join(crate::config::REGISTER_FILE),
        (None, None) => cfg.register.clone(),
    };
    let (model, _) = pipeline::linked_model(
        &cfg,
        &args.input.inputs(),
        month,
        as_of,
        env,
        &register_path,
        "reading usage and computing the review…",
    )?;

    let e = &cfg.email;
    let attach = !args.no_attachments && e.attach_pack.unwrap_or(true);
    let content = crate::render::email::render(
        &model,
        &templates,
        args.team.as_deref(),
        e.subject.as_deref(),
        attach,
    )?;

    // A dry run needs no addresses: the .eml is there to be looked at (and says so).
    let placeholder = !args.send;
    let from = args
        .from
        .clone()
        .or_else(|| e.from.clone())
        .or_else(|| placeholder.then(|| PLACEHOLDER.to_owned()))
        .ok_or_else(|| {
            Error::Usage("no sender: set email.from in the config or pass --from".into())
        })?;
    let mut to: Vec<String> = if !args.to.is_empty() {
        args.to.clone()
    } else if let Some(t) = &args.team {
        cfg.team_emails.get(t).cloned().into_iter().collect()
    } else {
        e.to.clone()
    };
    let addressed = !to.is_empty() && from != PLACEHOLDER;
    if to.is_empty() && placeholder {
        to.push(PLACEHOLDER.to_owned());
    }
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
        match &args.team {
            // A team lead gets the team's own data only, never the organisation's pack.
            Some(t) => files.push(FileAttachment {
                name: format!("{month}-{t}.json"),
                content_type: "application/json".to_owned(),
                bytes: crate::render::json::team_document(&model, t)?,
            }),
            None => {
                for (name, ct) in [
                    ("review.md", "text/markdown; charset=utf-8"),
                    ("metrics.json", "application/json"),
                ] {
                    let p = pack.join(name);
                    let mut bytes =
                        std::fs::read(&p).map_err(|e| Error::io(&p, "cannot read", e))?;
                    // The same document without its indentation: a third smaller in the mail.
                    if name == "metrics.json" {
                        let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
                            Error::Usage(format!(
                                "{} is not JSON ({e}); run `govreview review` for the month again",
                                p.display()
                            ))
                        })?;
                        bytes =
                            serde_json::to_vec(&v).map_err(|e| Error::Internal(e.to_string()))?;
                    }
                    files.push(FileAttachment {
                        name: name.to_owned(),
                        content_type: ct.to_owned(),
                        bytes,
                    });
                }
            }
        }
    }
    // Sent mail carries the time it is sent; a dry run's .eml is dated like the pack, so the same
    // pack gives the same file.
    let date = if args.send { None } else { Some(as_of) };
    let msg = email::build(&content, &envelope, &files, date)?;
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
            if !addressed {
                writeln!(
                    out,
                    "  It is addressed to {PLACEHOLDER} where email.from or email.to is not set: set them under [email] to send it."
                )
                .map_err(io)?;
            }
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
            password: env.smtp_password.clone(),
            ca_pem,
        };
        email::send(&msg, &smtp)?;
        if !args.quiet {
            let cc: Vec<String> = envelope.cc.iter().map(|m| m.to_string()).collect();
            writeln!(
                out,
                "Sent to {}{} via {host}:{port}: {}",
                to.join(", "),
                if cc.is_empty() {
                    String::new()
                } else {
                    format!(" (cc {})", cc.join(", "))
                },
                content.subject
            )
            .map_err(io)?;
            if !addressed {
                writeln!(
                    out,
                    "  It is addressed to {PLACEHOLDER} where email.from or email.to is not set: set them under [email] to send it."
                )
                .map_err(io)?;
            }
        }
    }
    Ok(())
}
