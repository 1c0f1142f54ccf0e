//! Renderers: one file per output format over the one [`ReportModel`].
//!
//! Nothing here touches the file system except reading a user's template folder; renderers return
//! bytes and [`crate::pack`] writes them.

pub mod email;
pub mod html;
pub mod json;
pub mod markdown;
pub mod terminal;

use std::path::{Path, PathBuf};

use minijinja::{AutoEscape, Environment, Value};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::fmt;
use crate::report::ReportModel;

/// Built-in templates, compiled into the binary. A user's template folder overrides them by name.
pub const BUILTIN_TEMPLATES: [(&str, &str); 7] = [
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

/// What a renderer gets: the model and the drawn charts.
#[derive(Debug, Serialize)]
pub struct RenderContext<'a> {
    /// The report.
    #[serde(flatten)]
    pub model: &'a ReportModel,
    /// Charts as (name, SVG text).
    pub svgs: std::collections::BTreeMap<String, String>,
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

fn filter(f: fn(f64) -> String) -> impl Fn(Value) -> String + Send + Sync + 'static {
    move |v: Value| opt_num(&v).map_or_else(|| "—".to_owned(), f)
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
        let dir: Option<PathBuf> = dir.map(Path::to_path_buf);
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.contains(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_loader(move |name| {
            if let Some(d) = &dir {
                let p = d.join(name);
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
