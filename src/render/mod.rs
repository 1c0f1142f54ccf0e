//! Renderers: one file per output format over the one [`ReportModel`].
//!
//! Nothing here touches the file system except reading a user's template folder; renderers return
//! bytes and the pack module writes them.

pub mod chargeback;
pub mod csv;
pub mod email;
pub mod focus;
pub mod html;
pub mod json;
pub mod markdown;
pub mod summary;
pub mod team;
pub mod terminal;

use std::path::{Path, PathBuf};

use minijinja::{AutoEscape, Environment, Value};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::fmt;
use crate::report::ReportModel;

/// Built-in templates, compiled into the binary. A user's template folder overrides them by name.
pub const BUILTIN_TEMPLATES: [(&str, &str); 9] = [
    ("team.md.j2", include_str!("../../templates/team.md.j2")),
    ("team.html.j2", include_str!("../../templates/team.html.j2")),
    (
        "email.html.j2",
        include_str!("../../templates/email.html.j2"),
    ),
    ("email.txt.j2", include_str!("../../templates/email.txt.j2")),
    ("email.css", include_str!("../../templates/email.css")),
    ("review.md.j2", include_str!("../../templates/review.md.j2")),
    (
        "actions.md.j2",
        include_str!("../../templates/actions.md.j2"),
    ),
    (
        "review.html.j2",
        include_str!("../../templates/review.html.j2"),
    ),
    ("style.css", include_str!("../../templates/style.css")),
];

/// What a renderer gets: the model, the pack's charts and their drawings.
#[derive(Debug, Serialize)]
pub struct RenderContext<'a> {
    /// The report.
    #[serde(flatten)]
    pub model: &'a ReportModel,
    /// The charts, with titles and alt text.
    pub charts: Vec<crate::charts::ChartRef>,
    /// Charts as (name, SVG text).
    pub svgs: std::collections::BTreeMap<String, String>,
    /// The KPI cards' sparklines as SVG, by KPI key.
    pub sparks: std::collections::BTreeMap<String, String>,
    /// Each team's page, `teams/<slug>` (without extension), by team.
    pub team_pages: std::collections::BTreeMap<String, String>,
}

/// An output format of the pack.
pub trait Renderer {
    /// File name inside the month folder.
    fn file_name(&self) -> &'static str;
    /// Renders the file.
    fn render(&self, ctx: &RenderContext, templates: &Templates) -> Result<Vec<u8>>;
}

/// The template set: built-ins, each overridable from a user folder.
pub struct Templates {
    env: Environment<'static>,
}

fn opt_num(v: &Value) -> Option<f64> {
    if v.is_none() || v.is_undefined() {
        None
    } else {
        f64::try_from(v.clone()).ok()
    }
}

/// A number filter: its output is text the format needs no escaping for (digits, signs, `$`,
/// `%`), so it is marked safe.
fn filter(f: fn(f64) -> String) -> impl Fn(Value) -> Value + Send + Sync + 'static {
    move |v: Value| Value::from_safe_string(opt_num(&v).map_or_else(|| "—".to_owned(), f))
}

/// The auto-escape mode of Markdown templates.
const MARKDOWN: AutoEscape = AutoEscape::Custom("markdown");

/// Escapes text for GitHub-flavoured Markdown, in a paragraph, a list item or a table cell: no
/// character of the value can start markup (emphasis, code, links, images, inline HTML, a table
/// column, a heading or list at the start of a line, an entity such as `&lt;`), and a line break
/// becomes `<br>`.
pub fn md_escape(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 8);
    // A value at the start of a line must not open a block (heading, list, quote).
    let digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    let list_at = match chars.first() {
        Some('-' | '+' | '*') if chars.get(1) == Some(&' ') => Some(0),
        Some(c)
            if c.is_ascii_digit()
                && matches!(chars.get(digits), Some('.' | ')'))
                && matches!(chars.get(digits + 1), None | Some(' ')) =>
        {
            Some(digits)
        }
        _ => None,
    };
    let word = |i: Option<usize>| {
        i.and_then(|i| chars.get(i))
            .is_some_and(|c| c.is_alphanumeric())
    };
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '|' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            // An underscore inside a word never starts emphasis in GitHub's Markdown.
            '_' if word(i.checked_sub(1)) && word(Some(i + 1)) => out.push(c),
            '_' => out.push_str("\\_"),
            '#' if i == 0 => out.push_str("\\#"),
            '!' if chars.get(i + 1) == Some(&'[') => out.push_str("\\!"),
            '\r' if chars.get(i + 1) == Some(&'\n') => {}
            '\r' | '\n' => out.push_str("<br>"),
            c if c.is_control() => out.push(' '),
            c => {
                if list_at == Some(i) {
                    out.push('\\');
                }
                out.push(c);
            }
        }
    }
    out
}

/// A Markdown code span holding `s` literally: a fence longer than any run of backticks in it,
/// `|` escaped (GitHub splits table cells on it even inside code), line breaks as spaces.
pub fn md_code(s: &str) -> String {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let body: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .replace('|', "\\|");
    let pad = if body.starts_with('`') || body.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// Whether a link target may be written as a link: web and mail addresses only (never
/// `javascript:`, `data:` or a relative path), without spaces or control characters.
pub fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:"))
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
}

/// Writes a value into a template's output, escaped for the template's format.
fn format_value(
    out: &mut minijinja::Output,
    state: &minijinja::State,
    value: &Value,
) -> std::result::Result<(), minijinja::Error> {
    // Text from data or configuration shows its bidirectional formatting characters rather
    // than obeying them, in every format.
    let shown;
    let value = if !value.is_safe()
        && let Some(text) = value.as_str()
        && let std::borrow::Cow::Owned(visible) = crate::fmt::bidi_visible(text)
    {
        shown = Value::from(visible);
        &shown
    } else {
        value
    };
    if state.auto_escape() == MARKDOWN {
        let text = value.to_string();
        let text = if value.is_safe() {
            text
        } else {
            md_escape(&text)
        };
        return out.write_str(&text).map_err(|_| {
            minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "cannot write")
        });
    }
    minijinja::escape_formatter(out, state, value)
}

/// Whether a template name stays inside the template folder: a plain relative path, no `..`,
/// no root, no drive, no backslash.
fn confined(name: &str) -> bool {
    let p = Path::new(name);
    !name.is_empty()
        && !name.contains('\\')
        && !name.contains(':')
        && p.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// Why the template at `p` cannot be read, when something is there that is not a file (a named
/// pipe, a folder, a link to nothing): such a path is refused, never opened (a pipe would wait)
/// nor passed over for the built-in template without a word.
fn not_a_template(p: &Path, name: &str) -> Option<String> {
    let link = std::fs::symlink_metadata(p).ok()?;
    let kind = match std::fs::metadata(p) {
        Ok(m) => crate::fsx::not_a_file(&m)?,
        Err(_) if link.file_type().is_symlink() => "a link to nothing",
        Err(_) => "unreadable",
    };
    Some(format!(
        "template {} is {kind}, not a file; make it a template file, or remove it to use the built-in {name}",
        p.display()
    ))
}

impl Templates {
    /// Built-ins overridden by the files of `dir`, when given.
    pub fn new(dir: Option<&Path>) -> Result<Templates> {
        if let Some(d) = dir
            && !d.is_dir()
        {
            return Err(Error::Usage(format!(
                "template folder `{}` does not exist; give a folder holding review.md.j2, review.html.j2 or style.css",
                d.display()
            )));
        }
        if let Some(d) = dir {
            let problems: Vec<String> = BUILTIN_TEMPLATES
                .iter()
                .filter_map(|(name, _)| not_a_template(&d.join(name), name))
                .collect();
            if !problems.is_empty() {
                return Err(Error::Usage(problems.join("; ")));
            }
        }
        let dir: Option<PathBuf> = dir.map(Path::to_path_buf);
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.contains(".html") {
                AutoEscape::Html
            } else if name.ends_with(".md.j2") {
                MARKDOWN
            } else {
                AutoEscape::None
            }
        });
        env.set_formatter(format_value);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_loader(move |name| {
            // Templates may include one another, never a file outside the template folder.
            if !confined(name) {
                return Err(minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!(
                        "`{name}` is outside the template folder; templates may include only templates of the folder by their relative name"
                    ),
                ));
            }
            if let Some(d) = &dir {
                let p = d.join(name);
                // A template that is there but is not a file is refused (an included one;
                // the built-in names are checked before anything renders).
                if let Some(why) = not_a_template(&p, name) {
                    return Err(minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        why,
                    ));
                }
                if p.is_file() {
                    return std::fs::read_to_string(&p).map(Some).map_err(|e| {
                        minijinja::Error::new(
                            minijinja::ErrorKind::InvalidOperation,
                            format!("cannot read {}: {e}", p.display()),
                        )
                    });
                }
            }
            Ok(BUILTIN_TEMPLATES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| (*t).to_owned()))
        });
        env.add_filter("usd", filter(fmt::usd));
        env.add_filter("usd_signed", filter(fmt::usd_signed));
        env.add_filter("usd_short", filter(fmt::usd_short));
        env.add_filter("pct", filter(fmt::pct));
        env.add_filter("pct_signed", filter(fmt::pct_signed));
        env.add_filter("pp", filter(fmt::pp));
        env.add_filter("int", filter(fmt::int));
        env.add_filter("ratio", filter(fmt::ratio));
        env.add_filter("num", filter(fmt::num));
        env.add_filter("usd0", filter(fmt::usd0));
        // Whole cents (the bill explained's steps): `$1,234.56`, signed with `cents_signed`.
        env.add_filter("cents", filter(|c: f64| fmt::usd(c / 100.0)));
        env.add_filter("cents_signed", filter(|c: f64| fmt::usd_signed(c / 100.0)));
        env.add_filter("last_note", |notes: String| {
            crate::actions::last_note(&notes)
        });
        // Action IDs in running text kept on one line in every mail client: a non-breaking
        // hyphen (U+2011) in `A-0007` (table cells use the nowrap attribute).
        env.add_filter("nbid", |s: String| s.replace("A-", "A\u{2011}"));
        env.add_filter("usd_diff", |cur: Value, prev: Value| {
            Value::from_safe_string(match (opt_num(&cur), opt_num(&prev)) {
                (Some(c), Some(p)) => fmt::usd_change(c, p),
                _ => "—".to_owned(),
            })
        });
        env.add_filter("code", |v: Value| {
            Value::from_safe_string(md_code(&v.to_string()))
        });
        env.add_filter("link", |url: Value, text: Value| {
            let u = url.to_string();
            Value::from_safe_string(if safe_url(&u) {
                format!(
                    "[{}](<{}>)",
                    md_escape(&text.to_string()),
                    u.replace(' ', "%20")
                )
            } else {
                md_escape(&u)
            })
        });
        Ok(Templates { env })
    }

    /// Renders a template given as text (a subject line from the configuration).
    pub fn render_str<S: Serialize>(&self, source: &str, ctx: &S) -> Result<String> {
        self.env
            .render_str(source, ctx)
            .map_err(|e| Error::Template {
                name: "email.subject".into(),
                msg: e.to_string(),
            })
    }

    /// Renders template `name` with `ctx`.
    pub fn render<S: Serialize>(&self, name: &str, ctx: &S) -> Result<String> {
        let err = |e: minijinja::Error| {
            let mut msg = e.to_string();
            if let Some(line) = e.line() {
                msg = format!("line {line}: {msg}");
            }
            Error::Template {
                name: name.to_owned(),
                msg,
            }
        };
        let t = self.env.get_template(name).map_err(err)?;
        t.render(ctx).map_err(err)
    }
}
