//! The API client: a month of usage and cost pages from the Usage and Cost Analytics API (or the
//! legacy Admin API reports), with paging, retries, cursor restarts and clear failures. The key is
//! sent as a header and appears nowhere else.

use std::time::Duration;

use chrono::NaiveDate;
use serde_json::Value;

use crate::anthropic::analytics;
use crate::error::{Error, Result};

/// Anthropic's API, unless `--base-url` says otherwise.
pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
/// The API version header value.
pub const API_VERSION: &str = "2023-06-01";
/// Attempts per page before giving up on 429 / 5xx / network errors.
pub const MAX_ATTEMPTS: u32 = 5;
/// The longest `retry-after` (seconds) govreview waits; a longer one gives up at once.
pub const MAX_RETRY_AFTER: u64 = 120;
/// Times a month's walk restarts from the first page after its cursor was refused (400/410).
pub const MAX_RESTARTS: u32 = 3;
/// Attempts of a page whose server stays silent (each waits the whole request timeout).
pub const MAX_SILENT: u32 = 2;
/// The largest page govreview reads (a page of 1,000 rows is well under 2 MB).
pub const MAX_PAGE_BYTES: u64 = 32 * 1024 * 1024;
/// The most a month's pages may hold together, as saved (1,000 full pages would be 2 GB): a
/// server that ignores `limit` is stopped with a message before memory runs out.
pub const MAX_WALK_BYTES: usize = 1024 * 1024 * 1024;

/// Which API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// The Usage and Cost Analytics API (`/v1/organizations/analytics/{usage,cost}`).
    Analytics,
    /// The legacy Admin API reports (`usage_report/messages`, `cost_report`).
    Legacy,
}

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// `/v1/organizations/usage_report/messages`, grouped by model, tier, workspace and key.
    Usage,
    /// `/v1/organizations/cost_report`, grouped by workspace and description.
    Cost,
}

impl Report {
    fn path(self, api: Api) -> &'static str {
        match (api, self) {
            (Api::Analytics, Report::Usage) => analytics::USAGE_PATH,
            (Api::Analytics, Report::Cost) => analytics::COST_PATH,
            (Api::Legacy, Report::Usage) => "/v1/organizations/usage_report/messages",
            (Api::Legacy, Report::Cost) => "/v1/organizations/cost_report",
        }
    }

    fn group_by(self, api: Api) -> &'static [&'static str] {
        match (api, self) {
            (Api::Analytics, Report::Usage) => &[
                "model",
                "service_tier",
                "workspace_id",
                "api_key_id",
                "actor",
                "actor_type",
                // What the price depends on beyond model and tier (the bill explained).
                "inference_geo",
                "speed",
                "context_window",
            ],
            (Api::Analytics, Report::Cost) => {
                &["model", "service_tier", "workspace_id", "cost_type"]
            }
            (Api::Legacy, Report::Usage) => {
                &["model", "service_tier", "workspace_id", "api_key_id"]
            }
            (Api::Legacy, Report::Cost) => &["workspace_id", "description"],
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

/// The days one request asks for: `[start, end)` at UTC midnights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// First day.
    pub start: NaiveDate,
    /// The day after the last.
    pub end: NaiveDate,
}

impl Range {
    fn at(d: NaiveDate) -> String {
        format!("{d}T00:00:00Z")
    }
}

/// A client for one base URL, API and key.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    key: String,
    /// The environment variable the key came from, for messages.
    key_var: &'static str,
    api: Api,
    /// How long one request may take, reading its page included.
    timeout: Duration,
    /// The largest page read, in bytes.
    max_page: u64,
    /// The most a month's pages may hold together, in bytes.
    max_walk: usize,
    /// How long to wait before retry `n` (1-based) when the server gives no `retry-after`.
    pub backoff: fn(u32) -> Duration,
}

/// The first day of a page's rows (or buckets) outside `range`, if any.
fn outside(page: &Value, range: Range) -> Option<String> {
    page.get("data")?.as_array()?.iter().find_map(|row| {
        let at = row.get("starting_at")?.as_str()?;
        let day = NaiveDate::parse_from_str(at.get(..10)?, "%Y-%m-%d").ok()?;
        (day < range.start || day >= range.end).then(|| day.to_string())
    })
}

/// An agent that never follows a redirect, with `timeout` for a whole request.
fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        // A redirect is answered, never followed: the key must not travel to another host.
        .max_redirects(0)
        .timeout_connect(Some(Duration::from_secs(10).min(timeout)))
        .timeout_global(Some(timeout))
        .user_agent(concat!("govreview/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

fn default_backoff(attempt: u32) -> Duration {
    Duration::from_millis(500 * 2u64.pow(attempt.saturating_sub(1).min(6)))
}

/// What one request gave.
enum Outcome {
    Page(Value),
    Retry(String, Option<Duration>),
    /// The server said nothing (or stopped part-way) for the whole request timeout.
    Silent(String),
    /// The cursor was refused (expired after a data refresh, or no longer matching): start over.
    Expired(String),
}

impl Client {
    /// A client with sensible timeouts (10 s to connect, 60 s per request).
    pub fn new(base: &str, key: String, key_var: &'static str, api: Api) -> Client {
        Client {
            agent: agent(Duration::from_secs(60)),
            base: base.trim_end_matches('/').to_owned(),
            key,
            key_var,
            api,
            timeout: Duration::from_secs(60),
            max_page: MAX_PAGE_BYTES,
            max_walk: MAX_WALK_BYTES,
            backoff: default_backoff,
        }
    }

    /// The same client with another request timeout and page limit (tests use short ones).
    #[cfg(test)]
    pub(crate) fn with_limits(mut self, timeout: Duration, max_page: u64) -> Client {
        self.agent = agent(timeout);
        self.timeout = timeout;
        self.max_page = max_page;
        self
    }

    fn once(&self, report: Report, range: Range, page: Option<&str>) -> Result<Outcome> {
        let url = format!("{}{}", self.base, report.path(self.api));
        let mut req = self
            .agent
            .get(&url)
            .header("x-api-key", &self.key)
            .header("anthropic-version", API_VERSION)
            .query("starting_at", Range::at(range.start))
            .query("ending_at", Range::at(range.end));
        req = match self.api {
            // Rows are the page unit here; 1000 is the largest page the sibling Enterprise API
            // allows, and a smaller maximum would still be honoured by paging.
            Api::Analytics => req
                .header("anthropic-beta", analytics::BETAS)
                .query("time_bucket_width", "1d")
                .query("limit", "1000"),
            Api::Legacy => req.query("bucket_width", "1d").query("limit", "31"),
        };
        for g in report.group_by(self.api) {
            req = req.query("group_by[]", *g);
        }
        if let Some(p) = page {
            req = req.query("page", p);
        }
        let silent = || {
            format!(
                "{url} did not answer within {} s",
                self.timeout.as_secs_f64()
            )
        };
        let mut resp = match req.call() {
            Ok(r) => r,
            Err(ureq::Error::Timeout(_)) => return Ok(Outcome::Silent(silent())),
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
            .and_then(|v| v.trim().parse::<u64>().ok());
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(|l| crate::secret::printable(&crate::secret::redact(l, &[&self.key], None)));
        let body = match resp
            .body_mut()
            .with_config()
            .limit(self.max_page)
            .read_to_vec()
        {
            Ok(bytes) => bytes,
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                let mb = 1024 * 1024;
                let limit = if self.max_page.is_multiple_of(mb) {
                    format!("{} MB", self.max_page / mb)
                } else {
                    format!("{} bytes", self.max_page)
                };
                return Err(Error::Input(format!(
                    "{url} answered {status} with a page over {limit}, larger than any usage page; is --base-url the Anthropic API?"
                )));
            }
            Err(ureq::Error::Timeout(_)) => {
                return Ok(Outcome::Silent(format!(
                    "{url} answered {status} but did not send its whole page within {} s",
                    self.timeout.as_secs_f64()
                )));
            }
            Err(e) => {
                return Ok(Outcome::Retry(
                    crate::secret::printable(&crate::secret::redact(
                        &format!("{url} answered {status} but its page was cut off: {e}"),
                        &[&self.key],
                        None,
                    )),
                    None,
                ));
            }
        };
        let body = match String::from_utf8(body) {
            Ok(text) => text,
            Err(e) if status == 200 => {
                return Err(Error::Input(format!(
                    "{url} answered with a page that is not UTF-8 text (byte {} of {}); the API answers JSON: is --base-url the Anthropic API?",
                    e.utf8_error().valid_up_to() + 1,
                    e.as_bytes().len()
                )));
            }
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        // The API's own words, without the key should it quote it.
        let api_message = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| {
                v.pointer("/error/message")
                    .and_then(Value::as_str)
                    .map(|m| {
                        crate::secret::printable(&crate::secret::redact(m, &[&self.key], None))
                    })
            })
            .unwrap_or_default();
        match status {
            200 => serde_json::from_str(&body).map(Outcome::Page).map_err(|e| {
                Error::Input(format!(
                    "{url} answered with a page that is not JSON ({e}); try again later"
                ))
            }),
            401 | 403 => Err(Error::Usage(format!(
                "the API refused the key in {} ({status}{}): {}",
                self.key_var,
                if api_message.is_empty() {
                    String::new()
                } else {
                    format!(": {api_message}")
                },
                match self.api {
                    Api::Analytics =>
                        "give an Admin API key (sk-ant-admin..., created by an organisation admin in the Console) in ANTHROPIC_ADMIN_KEY, or a Claude Enterprise Analytics API key with the read:analytics scope in ANTHROPIC_ANALYTICS_KEY; a regular API key cannot read usage",
                    Api::Legacy =>
                        "ANTHROPIC_ADMIN_KEY must be an Admin API key (sk-ant-admin...) of the organisation, created by an organisation admin in the Console; a regular API key cannot read usage reports",
                }
            ))),
            400 | 410 if page.is_some() => Ok(Outcome::Expired(format!(
                "{url} refused the page cursor ({status}{})",
                if api_message.is_empty() {
                    String::new()
                } else {
                    format!(": {api_message}")
                }
            ))),
            300..=399 => Err(Error::Input(format!(
                "{url} answered {status} (a redirect{}); govreview does not follow redirects while it sends the key. Point --base-url at the API itself",
                location.map_or(String::new(), |l| format!(" to `{l}`"))
            ))),
            429 | 500..=599 if retry_after.is_some_and(|s| s > MAX_RETRY_AFTER) => {
                Err(Error::Input(format!(
                    "{url} answered {status} and asks to wait {} s, longer than govreview waits ({MAX_RETRY_AFTER} s); gave up at once. Try again later",
                    retry_after.unwrap_or_default()
                )))
            }
            429 | 500..=599 => Ok(Outcome::Retry(
                format!(
                    "{url} answered {status}{}",
                    if api_message.is_empty() {
                        String::new()
                    } else {
                        format!(" ({api_message})")
                    }
                ),
                retry_after.map(Duration::from_secs),
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
        range: Range,
        page: Option<&str>,
        on_wait: &mut dyn FnMut(&str, Duration),
    ) -> Result<Option<Value>> {
        let mut last = String::new();
        let mut silent = 0;
        for attempt in 1..=MAX_ATTEMPTS {
            match self.once(report, range, page)? {
                Outcome::Silent(why) => {
                    silent += 1;
                    if silent >= MAX_SILENT {
                        return Err(Error::Input(format!(
                            "gave up: {why}, {silent} times in a row. Check that --base-url is the API (a server that takes the connection and never answers looks like this) and try again later"
                        )));
                    }
                    on_wait(&why, Duration::ZERO);
                    last = why;
                }
                Outcome::Page(v) => return Ok(Some(v)),
                Outcome::Expired(why) => {
                    on_wait(
                        &format!("{why}; starting again from the first page"),
                        Duration::ZERO,
                    );
                    return Ok(None);
                }
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

    /// Every page of a report for a range, following `has_more` / `next_page` with the query
    /// unchanged; a refused cursor (400/410 mid-walk) restarts the walk from the first page.
    ///
    /// `keep` turns each page (and the cursor it answered) into what is kept of it, and its size
    /// in bytes, as it arrives: the parsed page is dropped at once (it takes several times its
    /// text in memory), and the walk stops past [`MAX_WALK_BYTES`].
    pub fn pages<T>(
        &self,
        report: Report,
        range: Range,
        on_wait: &mut dyn FnMut(&str, Duration),
        on_page: &mut dyn FnMut(usize),
        keep: &mut dyn FnMut(Value, Option<String>) -> Result<(T, usize)>,
    ) -> Result<Vec<T>> {
        let path = report.path(self.api);
        let mut restarts = 0;
        'walk: loop {
            let mut out: Vec<T> = Vec::new();
            let mut bytes = 0usize;
            let mut next: Option<String> = None;
            let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
            loop {
                let Some(v) = self.page(report, range, next.as_deref(), on_wait)? else {
                    restarts += 1;
                    if restarts > MAX_RESTARTS {
                        return Err(Error::Input(format!(
                            "{}{path} refused its own page cursor {restarts} times in a row, and govreview started again from the first page {MAX_RESTARTS} times (the data is being refreshed); try again later",
                            self.base
                        )));
                    }
                    continue 'walk;
                };
                // Walk fields that cannot be read, and rows outside the days asked for, are
                // refused here rather than saved for the review to refuse.
                crate::data::check_walk_fields(
                    std::path::Path::new(&format!("{}{path}", self.base)),
                    &v,
                )?;
                if let Some(day) = outside(&v, range) {
                    return Err(Error::Input(format!(
                        "{}{path} answered a row for {day}, outside the days asked for ({} to {}); try again later",
                        self.base,
                        range.start,
                        range.end.pred_opt().unwrap_or(range.end)
                    )));
                }
                let more = v.get("has_more").and_then(Value::as_bool).unwrap_or(false);
                // The cursor this page answered, recorded with it (a walk's order survives a
                // renamed file).
                let cursor = std::mem::replace(
                    &mut next,
                    v.get("next_page")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                );
                if v.get("data").and_then(Value::as_array).is_none() {
                    return Err(Error::Input(format!(
                        "{}{path} answered without a `data` array; is --base-url the Anthropic API?",
                        self.base
                    )));
                }
                let (kept, size) = keep(v, cursor)?;
                bytes = bytes.saturating_add(size);
                if bytes > self.max_walk {
                    return Err(Error::Input(format!(
                        "{}{path} answered more than {} of pages for {} to {} ({} pages): more than a month of usage holds; is --base-url the Anthropic API? Stopping",
                        self.base,
                        if self.max_walk >= 1 << 20 {
                            format!("{} MiB", self.max_walk >> 20)
                        } else {
                            format!("{} bytes", self.max_walk)
                        },
                        range.start,
                        range.end.pred_opt().unwrap_or(range.end),
                        out.len() + 1
                    )));
                }
                out.push(kept);
                on_page(out.len());
                if !more {
                    return Ok(out);
                }
                let Some(cursor) = &next else {
                    return Err(Error::Input(format!(
                        "{}{path} said has_more without a next_page; try again later",
                        self.base
                    )));
                };
                if !seen.insert(cursor.clone()) {
                    return Err(Error::Input(format!(
                        "{}{path} answered page {} with a next_page it had given before: the walk would go round in circles. Try again later",
                        self.base,
                        out.len()
                    )));
                }
                if out.len() > 1000 {
                    return Err(Error::Input(
                        "more than 1000 pages for one month; stopping".into(),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::time::Instant;

    /// A loopback server answering every request with `answer` (given the request number),
    /// for as long as the test runs.
    fn serve(answer: fn(usize, &mut std::net::TcpStream)) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { return };
                std::thread::spawn(move || {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n")
                        && stream.read(&mut byte).is_ok_and(|k| k == 1)
                    {
                        head.push(byte[0]);
                    }
                    answer(n, &mut stream);
                });
            }
        });
        base
    }

    /// Answers 200 with `body`.
    fn answer(s: &mut std::net::TcpStream, body: &str) {
        let _ = s.write_all(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        );
    }

    /// A client of `base` with short limits and no backoff.
    fn test_client(base: &str) -> Client {
        Client {
            backoff: |_| Duration::ZERO,
            ..Client::new(
                base,
                "sk-ant-admin-test".into(),
                "ANTHROPIC_ADMIN_KEY",
                Api::Analytics,
            )
            .with_limits(Duration::from_millis(400), 1000)
        }
    }

    /// The usage pages of 2026-10-01 and 02, each kept as `keep` makes it.
    fn pages_of<T>(
        client: &Client,
        keep: &mut dyn FnMut(Value, Option<String>) -> Result<(T, usize)>,
    ) -> Result<Vec<T>> {
        let day = |d| NaiveDate::from_ymd_opt(2026, 10, d).unwrap();
        client.pages(
            Report::Usage,
            Range {
                start: day(1),
                end: day(3),
            },
            &mut |_, _| {},
            &mut |_| {},
            keep,
        )
    }

    fn walk(base: &str) -> (Result<usize>, Duration) {
        let t0 = Instant::now();
        let pages = pages_of(&test_client(base), &mut |v, _| Ok((v, 0))).map(|p| p.len());
        (pages, t0.elapsed())
    }

    fn error_of(base: &str) -> String {
        let (r, took) = walk(base);
        assert!(took < Duration::from_secs(5), "{took:?}");
        r.unwrap_err().to_string()
    }

    #[test]
    fn a_silent_server_is_given_up_on_after_two_timeouts_and_named() {
        let e = error_of(&serve(|_, _| std::thread::sleep(Duration::from_secs(3))));
        assert!(
            e.contains("did not answer within 0.4 s, 2 times in a row"),
            "{e}"
        );
        assert!(!e.contains("timeout: global"), "{e}");
        // Headers, then a page that stops part-way.
        let e = error_of(&serve(|_, s| {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"data\":");
            std::thread::sleep(Duration::from_secs(3));
        }));
        assert!(
            e.contains("did not send its whole page within 0.4 s"),
            "{e}"
        );
    }

    #[test]
    fn a_page_that_is_not_text_or_too_large_is_named_as_such() {
        let e = error_of(&serve(|_, s| {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n{\xff\xfe}");
        }));
        assert!(e.contains("not UTF-8 text (byte 2 of 4)"), "{e}");
        let e = error_of(&serve(|_, s| {
            let body = format!("{{\"data\":[],\"pad\":\"{}\"}}", "x".repeat(2000));
            answer(s, &body);
        }));
        assert!(e.contains("a page over 1000 bytes"), "{e}");
    }

    #[test]
    fn walk_fields_that_cannot_be_read_or_rows_of_other_days_are_refused_before_saving() {
        let e = error_of(&serve(|_, s| {
            let body = r#"{"data":[],"has_more":"false","next_page":null}"#;
            answer(s, body);
        }));
        assert!(
            e.contains("`has_more`") && e.contains("not true or false"),
            "{e}"
        );
        let e = error_of(&serve(|_, s| {
            let body = r#"{"data":[{"starting_at":"2026-09-30T00:00:00Z","ending_at":"2026-10-01T00:00:00Z","group":{},"usage":{}}],"has_more":false}"#;
            answer(s, body);
        }));
        assert!(
            e.contains(
                "a row for 2026-09-30, outside the days asked for (2026-10-01 to 2026-10-02)"
            ),
            "{e}"
        );
    }

    #[test]
    fn a_cursor_given_twice_ends_the_walk_at_once() {
        let e = error_of(&serve(|_, s| {
            let body = r#"{"data":[],"has_more":true,"next_page":"same"}"#;
            answer(s, body);
        }));
        assert!(
            e.contains("answered page 2 with a next_page it had given before"),
            "{e}"
        );
        // Distinct cursors walk on.
        let (r, _) = walk(&serve(|n, s| {
            let body = if n < 3 {
                format!(r#"{{"data":[],"has_more":true,"next_page":"c{n}"}}"#)
            } else {
                r#"{"data":[],"has_more":false,"next_page":null}"#.to_owned()
            };
            answer(s, &body);
        }));
        assert_eq!(r.unwrap(), 4);
    }

    /// A server that sends far more than a month holds is stopped at the walk's cap, with a
    /// message, before memory runs out; each page is kept as what `keep` makes of it.
    #[test]
    fn a_walk_past_its_bytes_is_stopped() {
        let base = serve(|n, s| {
            let body = format!(r#"{{"data":[],"has_more":true,"next_page":"c{n}"}}"#);
            answer(s, &body);
        });
        let client = Client {
            max_walk: 200,
            ..test_client(&base)
        };
        let mut kept = 0;
        let e = pages_of(&client, &mut |v, _| {
            kept += 1;
            let n = v.to_string().len();
            Ok(((), n))
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("answered more than 200 bytes of pages"), "{e}");
        assert!((4..=6).contains(&kept), "{kept}");
    }
}
