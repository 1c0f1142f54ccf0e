//! `review.html`: one self-contained, printable page with CSS and SVG charts inline.

use serde::Serialize;

use super::{RenderContext, Renderer, Templates};
use crate::error::Result;

/// The HTML pack.
pub struct Html;

#[derive(Serialize)]
struct HtmlContext<'a> {
    #[serde(flatten)]
    ctx: &'a RenderContext<'a>,
    css: String,
}

impl Renderer for Html {
    fn file_name(&self) -> &'static str {
        "review.html"
    }

    fn render(&self, ctx: &RenderContext, templates: &Templates) -> Result<Vec<u8>> {
        let css = templates.render("style.css", &())?;
        let page = templates.render("review.html.j2", &HtmlContext { ctx, css })?;
        Ok(page.into_bytes())
    }
}
