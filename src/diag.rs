//! Diagnostics for the TOML files people edit (the configuration, the action register): every
//! problem located as `file:line:column` with its key, all problems of a file reported at once.
//!
//! [`deserialize_all`] reads a file into its serde form and keeps going past a key of the wrong
//! type or an unknown key (each is recorded, then set aside or given a stand-in of the right
//! type), so one run lists everything to fix. [`Locator`] finds where a key path stands.

use std::ops::Range;

use serde::de::DeserializeOwned;

/// A TOML date without a time (`2026-10-01`) as a calendar date; None when it carries a time or
/// is not a real date.
pub fn plain_date(d: &toml::value::Datetime) -> Option<chrono::NaiveDate> {
    match (&d.date, &d.time) {
        (Some(x), None) => {
            chrono::NaiveDate::from_ymd_opt(x.year as i32, x.month as u32, x.day as u32)
        }
        _ => None,
    }
}

/// One problem found in a TOML file, located as precisely as the file allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// Dotted key path (`targets.min_cache_hit_rate`), when the problem belongs to a key.
    pub key: Option<String>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{l}:{c}: ")?,
            (Some(l), None) => write!(f, "{l}: ")?,
            _ => {}
        }
        if let Some(key) = &self.key {
            write!(f, "`{key}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Sorts problems into file order.
pub fn sort(problems: &mut [Problem]) {
    problems.sort_by_key(|p| (p.line, p.column));
}

/// The problem of a file that is not TOML at all, at the place the parser stopped.
pub fn syntax(text: &str, e: &toml_edit::TomlError) -> Problem {
    let (line, column) = e
        .span()
        .map(|s| line_col(text, s.start))
        .map_or((None, None), |(l, c)| (Some(l), Some(c)));
    let message = e.message().trim();
    let message = match e.span() {
        Some(span) if message == "duplicate key" => twice(text, span.start, line.unwrap_or(1)),
        _ => message.to_owned(),
    };
    Problem {
        line,
        column,
        key: None,
        message,
    }
}

/// What a duplicate key is (a table or a key given twice), where it first stands and the fix.
fn twice(text: &str, start: usize, line: usize) -> String {
    let rest = text.get(start..).unwrap_or("");
    let name: String = match rest.strip_prefix('"') {
        Some(q) => q.split('"').next().unwrap_or("").to_owned(),
        None => rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            .collect(),
    };
    let header = text[..start.min(text.len())]
        .rsplit('\n')
        .next()
        .is_some_and(|l| l.trim_start().starts_with('['));
    let first = text.lines().take(line.saturating_sub(1)).position(|l| {
        let l = l.trim_start();
        if header {
            l.trim_start_matches('[').trim_start().starts_with(&*name) && l.starts_with('[')
        } else {
            l.trim_start_matches('"').starts_with(&*name) && !l.starts_with('[')
        }
    });
    let at = first.map_or(String::new(), |i| format!(" (first at line {})", i + 1));
    if header {
        format!("the table `[{name}]` is defined twice{at}; merge the two into one")
    } else {
        format!("the key `{name}` is given twice in its table{at}; keep one")
    }
}

/// Reads a TOML file into `T`, reporting every key with a wrong type or an unknown name, not only
/// the first: each problem is recorded, its key set aside (or given a stand-in of the right type,
/// so that a required key does not turn into a second, "missing" problem), and the rest read
/// again. A syntax error stops at once (nothing after it can be trusted): it is the `Err`.
/// `None` when the file could not be read into `T` at all.
pub fn deserialize_all<T: DeserializeOwned>(
    text: &str,
    loc: &Locator,
) -> Result<(Option<T>, Vec<Problem>), Problem> {
    let mut work: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| syntax(text, &e))?;
    let mut problems: Vec<Problem> = Vec::new();
    let mut set_aside: Vec<Vec<String>> = Vec::new();
    // Keys that were missing and got a stand-in: its type is found by trying, silently.
    let mut stand_ins: Vec<Vec<String>> = Vec::new();
    for _ in 0..200 {
        let current = work.to_string();
        let e = match toml::from_str::<T>(&current) {
            Ok(raw) => return Ok((Some(raw), problems)),
            Err(e) => e,
        };
        let message = e.message().trim().to_owned();
        let key_path = e.span().and_then(|s| key_at(&current, s.start, &message));
        let Some(mut key_path) = key_path else {
            problems.push(Problem {
                line: None,
                column: None,
                key: None,
                message: message + hint_for(e.message()),
            });
            return Ok((None, problems));
        };
        // A required key that was set aside for its type is reported once, not again as missing.
        if let Some(missing) = message
            .strip_prefix("missing field `")
            .and_then(|m| m.split('`').next())
        {
            key_path.push(missing.to_owned());
            if set_aside.contains(&key_path) || stand_ins.contains(&key_path) {
                return Ok((None, problems));
            }
            let refs: Vec<&str> = key_path.iter().map(String::as_str).collect();
            let mut p = loc.problem(&refs[..refs.len() - 1], format!("`{missing}` is missing; add it (the README's configuration reference describes it)"));
            p.key = Some(key_path.join("."));
            problems.push(p);
            // A stand-in (a string first; its type is corrected below when the reader expects
            // another) lets the rest of the file be read and checked in the same run.
            if !insert_key(&mut work, &refs, toml_edit::Item::Value("".into())) {
                return Ok((None, problems));
            }
            stand_ins.push(key_path);
            continue;
        }
        let refs: Vec<&str> = key_path.iter().map(String::as_str).collect();
        if stand_ins.contains(&key_path) {
            // The stand-in of a missing key had the wrong type: give it the expected one.
            match placeholder(&message) {
                Some(v) if replace_key(&mut work, &refs, v.clone()) => continue,
                _ => return Ok((None, problems)),
            }
        }
        if message.starts_with("unknown field") {
            let key = key_path.last().map(String::as_str).unwrap_or("");
            let text = match suggest(&message, key) {
                Some(s) => format!(
                    "unknown key; did you mean `{s}`? (the README's configuration reference lists every key)"
                ),
                None => format!(
                    "unknown key{}; remove it or fix its spelling (the README's configuration reference lists every key)",
                    expected_keys(&message).map_or(String::new(), |k| format!(" (keys here: {k})"))
                ),
            };
            problems.push(loc.key_problem(&refs, text));
        } else {
            problems.push(loc.problem(
                &refs,
                format!("{}{}", tidy_serde(&message), hint_for(&message)),
            ));
        }
        // A key of the wrong type gets a stand-in of the right type (so that a required key does
        // not turn into a second, "missing" problem); an unknown key goes.
        let set = match placeholder(&message) {
            Some(v) => replace_key(&mut work, &refs, v),
            None => remove_key(&mut work, &refs),
        };
        if !set {
            return Ok((None, problems));
        }
        set_aside.push(key_path);
    }
    Ok((None, problems))
}

/// A value of the type a serde message expects, to stand in for a key of the wrong type.
fn placeholder(message: &str) -> Option<toml_edit::Item> {
    if !message.starts_with("invalid type") {
        return None;
    }
    let expected = message.rsplit("expected ").next()?;
    let v: toml_edit::Value = if expected.starts_with("f64") || expected.contains("float") {
        0.0.into()
    } else if expected.starts_with("i64")
        || expected.contains("integer")
        || expected.starts_with("u")
    {
        0i64.into()
    } else if expected.contains("string") {
        "".into()
    } else if expected.contains("bool") {
        false.into()
    } else if expected.contains("sequence") {
        toml_edit::Array::new().into()
    } else if expected.contains("map") || expected.starts_with("struct") {
        return Some(toml_edit::Item::Table(toml_edit::Table::new()));
    } else if expected.contains("date") {
        "2000-01-01".parse::<toml_edit::Datetime>().ok()?.into()
    } else {
        return None;
    };
    Some(toml_edit::Item::Value(v))
}

/// Adds `item` at `path` (its tables must exist); false when they do not.
fn insert_key(doc: &mut toml_edit::DocumentMut, path: &[&str], item: toml_edit::Item) -> bool {
    put_key(doc, path, item, false)
}

/// Puts `item` at `path`; false when there is no such key.
fn replace_key(doc: &mut toml_edit::DocumentMut, path: &[&str], item: toml_edit::Item) -> bool {
    put_key(doc, path, item, true)
}

/// Sets `item` at `path` when the key `exists` already (replace) or does not yet (insert); false
/// when that is not so or a parent table is missing. An array of tables is entered by the index
/// after its name.
fn put_key(
    doc: &mut toml_edit::DocumentMut,
    path: &[&str],
    item: toml_edit::Item,
    exists: bool,
) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut t: &mut dyn toml_edit::TableLike = doc.as_table_mut();
    let mut i = 0;
    while i < parents.len() {
        let Some(next) = t.get_mut(parents[i]) else {
            return false;
        };
        if next.is_array_of_tables()
            && let Some(idx) = parents.get(i + 1).and_then(|x| x.parse::<usize>().ok())
        {
            let Some(tt) = next.as_array_of_tables_mut().and_then(|a| a.get_mut(idx)) else {
                return false;
            };
            t = tt;
            i += 2;
            continue;
        }
        let Some(tt) = next.as_table_like_mut() else {
            return false;
        };
        t = tt;
        i += 1;
    }
    if t.get(last).is_some() != exists {
        return false;
    }
    t.insert(last, item);
    true
}

/// The key path (`targets.teams.support.min_cache_hit_rate`, array tables with their index) of
/// the innermost key or value at byte `offset` of `text`. For an unknown field the message
/// names the key; for a missing one, the table is the path.
fn key_at(text: &str, offset: usize, message: &str) -> Option<Vec<String>> {
    let doc = toml_edit::Document::parse(text.to_owned()).ok()?;
    let unknown = message
        .strip_prefix("unknown field `")
        .and_then(|m| m.split('`').next());
    let mut path: Vec<String> = Vec::new();
    let mut table: &dyn toml_edit::TableLike = doc.as_table();
    'walk: loop {
        for (k, item) in table.iter() {
            let key_span = table.key(k).and_then(|key| key.span());
            let inside =
                |sp: Option<std::ops::Range<usize>>| sp.is_some_and(|r| r.contains(&offset));
            if let Some(arr) = item.as_array_of_tables() {
                for (i, t) in arr.iter().enumerate() {
                    if inside(t.span())
                        || t.iter().any(|(kk, v)| {
                            inside(v.span()) || inside(t.key(kk).and_then(|x| x.span()))
                        })
                    {
                        path.push(k.to_owned());
                        path.push(i.to_string());
                        table = t;
                        continue 'walk;
                    }
                }
                continue;
            }
            let hit = inside(key_span.clone()) || inside(item.span());
            let within = |t: &dyn toml_edit::TableLike| holds(t, offset);
            let contains_child = item.as_table_like().is_some_and(within);
            if hit || contains_child {
                path.push(k.to_owned());
                match item.as_table_like() {
                    Some(t) if contains_child || (hit && !inside(key_span)) => {
                        table = t;
                        continue 'walk;
                    }
                    _ => return Some(path),
                }
            }
        }
        break;
    }
    if let Some(u) = unknown
        && path.last().map(String::as_str) != Some(u)
    {
        path.push(u.to_owned());
    }
    (!path.is_empty() || unknown.is_some() || message.starts_with("missing field")).then_some(path)
}

/// Whether a key or value of `t`, or of a table anywhere inside it (an array of tables, or a
/// table whose header names it by a dotted path such as `[backlog.effort.apps."a/b"]`, which
/// leaves the tables between without a span of their own), covers `offset`.
fn holds(t: &dyn toml_edit::TableLike, offset: usize) -> bool {
    let inside = |sp: Option<std::ops::Range<usize>>| sp.is_some_and(|r| r.contains(&offset));
    t.iter().any(|(k, v)| {
        inside(v.span())
            || inside(t.key(k).and_then(|x| x.span()))
            || v.as_array_of_tables()
                .is_some_and(|a| a.iter().any(|e| inside(e.span()) || holds(e, offset)))
            || v.as_table_like().is_some_and(|inner| holds(inner, offset))
    })
}

/// Removes the item at `path` from the document; false when there is nothing there.
fn remove_key(doc: &mut toml_edit::DocumentMut, path: &[&str]) -> bool {
    fn walk(t: &mut dyn toml_edit::TableLike, path: &[&str]) -> bool {
        match path {
            [] => false,
            [last] => t.remove(last).is_some(),
            [first, rest @ ..] => {
                let Some(item) = t.get_mut(first) else {
                    return false;
                };
                if let Some(arr) = item.as_array_of_tables_mut()
                    && let Some(idx) = rest.first().and_then(|i| i.parse::<usize>().ok())
                {
                    return match arr.get_mut(idx) {
                        Some(tt) if rest.len() == 1 => {
                            tt.clear();
                            true
                        }
                        Some(tt) => walk(tt, &rest[1..]),
                        None => false,
                    };
                }
                match item.as_table_like_mut() {
                    Some(tt) => walk(tt, rest),
                    None => false,
                }
            }
        }
    }
    walk(doc.as_table_mut(), path)
}

/// serde's wording, in the tool's: `invalid type: string "x", expected f64` becomes
/// `has the wrong type: string "x", expected a number`.
fn tidy_serde(message: &str) -> String {
    let m = message
        .replace("expected f64", "expected a number")
        .replace("expected i64", "expected a whole number")
        .replace("expected a boolean", "expected true or false");
    match m.strip_prefix("invalid type: ") {
        Some(rest) => format!("has the wrong type: {rest}"),
        None => m,
    }
}

/// The keys an unknown-field message lists as expected, comma-separated.
fn expected_keys(message: &str) -> Option<String> {
    let list = message
        .split("expected one of ")
        .nth(1)
        .or_else(|| message.split("expected ").nth(1))?;
    // Serde lists them as "`a`, `b`, `c`", "`a` or `b`" or "`a`".
    let keys: Vec<&str> = list
        .split(", ")
        .flat_map(|c| c.split(" or "))
        .map(|c| c.trim().trim_matches('`'))
        .filter(|c| !c.is_empty())
        .collect();
    (!keys.is_empty()).then(|| keys.join(", "))
}

/// The expected key closest to an unknown `key`, when one is close enough to be a typo.
fn suggest(message: &str, key: &str) -> Option<String> {
    let keys = expected_keys(message)?;
    keys.split(", ")
        .map(|c| (strsim::jaro_winkler(key, c), c))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(score, _)| *score >= 0.8)
        .map(|(_, c)| c.to_owned())
}

/// The hint an unknown-field message gets.
pub fn hint_for(msg: &str) -> &'static str {
    if msg.contains("unknown field") {
        " (remove the key or fix its spelling; the README's configuration reference lists every key)"
    } else {
        ""
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Finds where a key path stands in a TOML text.
pub struct Locator {
    text: String,
    doc: Option<toml_edit::Document<String>>,
}

impl Locator {
    /// A locator over `text`.
    pub fn new(text: &str) -> Self {
        Locator {
            text: text.to_owned(),
            doc: toml_edit::Document::parse(text.to_owned()).ok(),
        }
    }

    /// Where the item at `path` stands (its value, else its key), or its nearest parent.
    pub fn span(&self, path: &[&str]) -> Option<Range<usize>> {
        let doc = self.doc.as_ref()?;
        let mut table: &dyn toml_edit::TableLike = doc.as_table();
        let mut span = None;
        let mut i = 0;
        while i < path.len() {
            let seg = path[i];
            let Some(item) = table.get(seg) else {
                return span;
            };
            let key_span = table.key(seg).and_then(|k| k.span());
            span = item.span().or(key_span).or(span);
            if let (Some(arr), Some(idx)) = (
                item.as_array_of_tables(),
                path.get(i + 1).and_then(|s| s.parse::<usize>().ok()),
            ) {
                let t = arr.get(idx)?;
                span = t.span().or(span);
                table = t;
                i += 2;
                continue;
            }
            match item.as_table_like() {
                Some(t) => table = t,
                None => return span,
            }
            i += 1;
        }
        span
    }

    /// A problem with a key itself (unknown, misspelt): located at the key, not its value.
    pub fn key_problem(&self, path: &[&str], message: impl Into<String>) -> Problem {
        let key_span = path.split_last().and_then(|(last, parents)| {
            let doc = self.doc.as_ref()?;
            let mut table: &dyn toml_edit::TableLike = doc.as_table();
            let mut i = 0;
            while i < parents.len() {
                let item = table.get(parents[i])?;
                if let (Some(arr), Some(idx)) = (
                    item.as_array_of_tables(),
                    parents.get(i + 1).and_then(|s| s.parse::<usize>().ok()),
                ) {
                    table = arr.get(idx)?;
                    i += 2;
                } else {
                    table = item.as_table_like()?;
                    i += 1;
                }
            }
            table.key(last).and_then(|k| k.span())
        });
        match key_span {
            Some(s) => {
                let (l, c) = line_col(&self.text, s.start);
                Problem {
                    line: Some(l),
                    column: Some(c),
                    key: Some(path.join(".")),
                    message: message.into(),
                }
            }
            None => self.problem(path, message),
        }
    }

    /// A problem with the value at `path`, located at it.
    pub fn problem(&self, path: &[&str], message: impl Into<String>) -> Problem {
        let (line, column) = self
            .span(path)
            .map(|s| line_col(&self.text, s.start))
            .map_or((None, None), |(l, c)| (Some(l), Some(c)));
        Problem {
            line,
            column,
            key: Some(path.join(".")),
            message: message.into(),
        }
    }
}
