//! `review.md`: GitHub-flavoured Markdown, charts linked as relative SVG images; and
//! `actions.md`, the register's snapshot.

use super::{RenderContext, Renderer, Templates};
use crate::error::Result;

/// The Markdown pack.
pub struct Markdown;

impl Renderer for Markdown {
    fn file_name(&self) -> &'static str {
        "review.md"
    }

    fn render(&self, ctx: &RenderContext, templates: &Templates) -> Result<Vec<u8>> {
        Ok(templates.render("review.md.j2", ctx)?.into_bytes())
    }
}

/// `actions.md`: the action register as it stood at the review.
pub struct ActionsMarkdown;

impl Renderer for ActionsMarkdown {
    fn file_name(&self) -> &'static str {
        "actions.md"
    }

    fn render(&self, ctx: &RenderContext, templates: &Templates) -> Result<Vec<u8>> {
        Ok(templates.render("actions.md.j2", ctx)?.into_bytes())
    }
}
