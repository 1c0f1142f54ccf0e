//! The Admin API client: usage-report and cost-report pages for a month, with paging, retries and
//! clear failures. The admin key is sent as a header and appears nowhere else.

use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::month::Month;

/// Anthropic's API, unless `--base-url` says otherwise.
pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
/// The API version header value.
pub const API_VERSION: &str = "2023-06-01";
/// Attempts per page before giving up on 429 / 5xx / network errors.
pub const MAX_ATTEMPTS: u32 = 5;

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// `/v1/organizations/usage_report/messages`, grouped by model, tier, workspace and key.
    Usage,
    /// `/v1/organizations/cost_report`, grouped by workspace and description.
    Cost,
}

impl Report {
    fn path(self) -> &'static str {
        match self {
            Report::Usage => "/v1/organizations/usage_report/messages",
            Report::Cost => "/v1/organizations/cost_report",
        }
    }

    fn group_by(self) -> &'static [&'static str] {
        match self {
            Report::Usage => &["model", "service_tier", "workspace_id", "api_key_id"],
            Report::Cost => &["workspace_id", "description"],
        }
    }

    /// File name stem of its pages (`usage`, `cost`).
    pub fn stem(self) -> &'static str {
        match self {
            Report::Usage => "usage",
            Report::Cost => "cost",
        }
    }
}

/// A client for one base URL and key.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    key: String,
    /// How long to wait before retry `n` (1-based) when the server gives no `retry-after`.
    pub backoff: fn(u32) -> Duration,
}

fn default_backoff(attempt: u32) -> Duration {
    Duration::from_millis(500 * 2u64.pow(attempt.saturating_sub(1).min(6)))
}

/// What one request gave.
enum Outcome {
    Page(Value),
    Retry(String, Option<Duration>),
}

impl Client {
    /// A client with sensible timeouts (10 s to connect, 60 s per request).
    pub fn new(base: &str, key: String) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(60)))
            .user_agent(concat!("govreview/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Client {
            agent,
            base: base.trim_end_matches('/').to_owned(),
            key,
            backoff: default_backoff,
        }
    }

    fn once(&self, report: Report, month: Month, page: Option<&str>) -> Result<Outcome> {
        let url = format!("{}{}", self.base, report.path());
        let start = format!("{}T00:00:00Z", month.first_day());
        let end = format!("{}T00:00:00Z", month.next().first_day());
        let mut req = self
            .agent
            .get(&url)
            .header("x-api-key", &self.key)
            .header("anthropic-version", API_VERSION)
            .query("starting_at", &start)
            .query("ending_at", &end)
            .query("bucket_width", "1d")
            .query("limit", "31");
        for g in report.group_by() {
            req = req.query("group_by[]", *g);
        }
        if let Some(p) = page {
            req = req.query("page", p);
        }
        let mut resp = match req.call() {
            Ok(r) => r,
            Err(e) => {
                return Ok(Outcome::Retry(
                    crate::secret::redact(
                        &format!("cannot reach {}: {e}", self.base),
                        &[&self.key],
                        None,
                    ),
                    None,
                ));
            }
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s.min(120)));
        let body = resp.body_mut().read_to_string().unwrap_or_default();
        // The API's own words, without the key should it quote it.
        let api_message = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| {
                v.pointer("/error/message")
                    .and_then(Value::as_str)
                    .map(|m| crate::secret::redact(m, &[&self.key], None))
            })
            .unwrap_or_default();
        match status {
            200 => serde_json::from_str(&body).map(Outcome::Page).map_err(|e| {
                Error::Input(format!(
                    "{url} answered with a page that is not JSON ({e}); try again later"
                ))
            }),
            401 | 403 => Err(Error::Usage(format!(
                "the Admin API refused the key ({status}{}): ANTHROPIC_ADMIN_KEY must be an Admin API key (sk-ant-admin...) of the organisation, created by an organisation admin in the Console; a regular API key cannot read usage reports",
                if api_message.is_empty() {
                    String::new()
                } else {
                    format!(": {api_message}")
                }
            ))),
            429 | 500..=599 => Ok(Outcome::Retry(
                format!(
                    "{url} answered {status}{}",
                    if api_message.is_empty() {
                        String::new()
                    } else {
                        format!(" ({api_message})")
                    }
                ),
                retry_after,
            )),
            _ => Err(Error::Input(format!(
                "{url} answered {status}{}; check --base-url and the month",
                if api_message.is_empty() {
                    String::new()
                } else {
                    format!(": {api_message}")
                }
            ))),
        }
    }

    /// One page, retried on 429, 5xx and network errors (waiting `retry-after` when given).
    fn page(
        &self,
        report: Report,
        month: Month,
        page: Option<&str>,
        on_wait: &mut dyn FnMut(&str, Duration),
    ) -> Result<Value> {
        let mut last = String::new();
        for attempt in 1..=MAX_ATTEMPTS {
            match self.once(report, month, page)? {
                Outcome::Page(v) => return Ok(v),
                Outcome::Retry(why, after) => {
                    last = why;
                    if attempt < MAX_ATTEMPTS {
                        let wait = after.unwrap_or_else(|| (self.backoff)(attempt));
                        on_wait(&last, wait);
                        std::thread::sleep(wait);
                    }
                }
            }
        }
        Err(Error::Input(format!(
            "gave up after {MAX_ATTEMPTS} attempts: {last}. Try again later"
        )))
    }

    /// Every page of a report for a month, following `has_more` / `next_page`.
    pub fn pages(
        &self,
        report: Report,
        month: Month,
        on_wait: &mut dyn FnMut(&str, Duration),
        on_page: &mut dyn FnMut(usize),
    ) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let v = self.page(report, month, next.as_deref(), on_wait)?;
            let more = v.get("has_more").and_then(Value::as_bool).unwrap_or(false);
            next = v
                .get("next_page")
                .and_then(Value::as_str)
                .map(str::to_owned);
            if v.get("data").and_then(Value::as_array).is_none() {
                return Err(Error::Input(format!(
                    "{}{} answered without a `data` array; is --base-url the Anthropic API?",
                    self.base,
                    report.path()
                )));
            }
            out.push(v);
            on_page(out.len());
            if !more {
                break;
            }
            if next.is_none() {
                return Err(Error::Input(format!(
                    "{}{} said has_more without a next_page; try again later",
                    self.base,
                    report.path()
                )));
            }
            if out.len() > 1000 {
                return Err(Error::Input(
                    "more than 1000 pages for one month; stopping".into(),
                ));
            }
        }
        Ok(out)
    }
}
