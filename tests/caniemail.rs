//! The emailed review checked against caniemail's support tables (`tests/fixtures/caniemail`, a
//! copy of caniemail.com's `_features/`, MIT): every CSS declaration of the HTML part (inlined and
//! in any `<style>` block), every element and attribute, looked up in the table of its feature;
//! the latest test of each client and platform that matters at work must not be "n" (not
//! supported), unless the allow-list below says why that is fine. Partial support ("a") is
//! printed with its notes for a reviewer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::util::{govreview, root, run, stderr};

/// The clients and platforms the email must work in.
const CLIENTS: [(&str, &str); 11] = [
    ("outlook", "windows"),
    ("outlook", "windows-mail"),
    ("outlook", "outlook-com"),
    ("outlook", "macos"),
    ("outlook", "ios"),
    ("outlook", "android"),
    ("gmail", "desktop-webmail"),
    ("gmail", "ios"),
    ("gmail", "android"),
    ("apple-mail", "macos"),
    ("apple-mail", "ios"),
];

/// Features an email may use although a client lacks them, and why that is fine.
const ALLOWED: [(&str, &str); 3] = [
    (
        "html-style",
        "the <style> element is kept only for clients that read it; every rule is also inlined",
    ),
    (
        "html-body",
        "a client that drops <body> keeps its content; the background and width sit on the outer table too",
    ),
    (
        "html-role",
        "role=\"presentation\" only tells screen readers the tables are layout; a client that drops it shows the same page",
    ),
];

/// One feature's table: per client and platform, its tests in the order the file lists them.
struct Feature {
    title: String,
    stats: BTreeMap<(String, String), Vec<(String, String)>>,
    notes: BTreeMap<String, String>,
}

/// A tiny reader for the front matter's `{ key: value, ... }` objects (unquoted or quoted keys,
/// string values, trailing commas), keeping the order of the tests.
enum Node {
    Str(String),
    Obj(Vec<(String, Node)>),
}

fn parse_obj(s: &[u8], i: &mut usize) -> Node {
    // Spaces, commas and `//` comments between tokens.
    let skip = |i: &mut usize| loop {
        while *i < s.len() && (s[*i].is_ascii_whitespace() || s[*i] == b',') {
            *i += 1;
        }
        if *i < s.len() && s[*i..].starts_with(b"//") {
            while *i < s.len() && s[*i] != b'\n' {
                *i += 1;
            }
        } else {
            break;
        }
    };
    let string = |i: &mut usize| -> String {
        let q = s[*i];
        *i += 1;
        let start = *i;
        while *i < s.len() && s[*i] != q {
            *i += 1;
        }
        let out = String::from_utf8_lossy(&s[start..*i]).into_owned();
        *i += 1;
        out
    };
    skip(i);
    if *i >= s.len() {
        return Node::Obj(Vec::new());
    }
    if s[*i] == b'"' || s[*i] == b'\'' {
        return Node::Str(string(i));
    }
    if s[*i] != b'{' {
        // A bare value: up to the next comma, brace or line end.
        let start = *i;
        while *i < s.len() && !b",}\n".contains(&s[*i]) {
            *i += 1;
        }
        return Node::Str(String::from_utf8_lossy(&s[start..*i]).trim().to_owned());
    }
    *i += 1;
    let mut out = Vec::new();
    loop {
        skip(i);
        if *i >= s.len() || s[*i] == b'}' {
            *i += 1;
            return Node::Obj(out);
        }
        let key = if s[*i] == b'"' || s[*i] == b'\'' {
            string(i)
        } else {
            let start = *i;
            while *i < s.len() && s[*i] != b':' {
                *i += 1;
            }
            String::from_utf8_lossy(&s[start..*i]).trim().to_owned()
        };
        skip(i);
        if *i >= s.len() || s[*i] != b':' {
            return Node::Obj(out);
        }
        *i += 1;
        let v = parse_obj(s, i);
        out.push((key, v));
    }
}

fn block(text: &str, name: &str) -> Option<Node> {
    let at = text.find(&format!("\n{name}:"))? + name.len() + 2;
    let mut i = at;
    Some(parse_obj(text.as_bytes(), &mut i))
}

fn read_feature(text: &str) -> Feature {
    let title = text
        .lines()
        .find_map(|l| l.strip_prefix("title:"))
        .unwrap_or("")
        .trim()
        .trim_matches('"')
        .to_owned();
    let mut stats = BTreeMap::new();
    if let Some(Node::Obj(clients)) = block(text, "stats") {
        for (client, platforms) in clients {
            let Node::Obj(platforms) = platforms else {
                continue;
            };
            for (platform, tests) in platforms {
                let Node::Obj(tests) = tests else { continue };
                let tests = tests
                    .into_iter()
                    .filter_map(|(v, r)| match r {
                        Node::Str(r) => Some((v, r)),
                        Node::Obj(_) => None,
                    })
                    .collect();
                stats.insert((client.clone(), platform), tests);
            }
        }
    }
    let mut notes = BTreeMap::new();
    if let Some(Node::Obj(n)) = block(text, "notes_by_num") {
        for (k, v) in n {
            if let Node::Str(v) = v {
                notes.insert(k, v);
            }
        }
    }
    Feature {
        title,
        stats,
        notes,
    }
}

fn features() -> BTreeMap<String, Feature> {
    let dir = root().join("tests/fixtures/caniemail/_features");
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('_'))
        .map(|p| {
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                read_feature(&std::fs::read_to_string(&p).unwrap()),
            )
        })
        .collect()
}

/// What an HTML part uses: CSS declarations (property, value), elements, attributes.
#[derive(Default, Debug)]
struct Uses {
    css: BTreeSet<(String, String)>,
    elements: BTreeSet<String>,
    attributes: BTreeSet<String>,
}

fn declarations(css: &str, out: &mut BTreeSet<(String, String)>) {
    for d in css.split(';') {
        if let Some((p, v)) = d.split_once(':') {
            let p = p.trim().to_lowercase();
            if !p.is_empty() && p.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
                out.insert((p, v.trim().to_lowercase()));
            }
        }
    }
}

fn uses(html: &str) -> Uses {
    let mut u = Uses::default();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        if rest.starts_with("!--") {
            u.elements.insert("comments".into());
            rest = &rest[rest.find("-->").map_or(rest.len(), |j| j + 3)..];
            continue;
        }
        if rest.starts_with('/') || rest.starts_with('!') {
            continue;
        }
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        if name.is_empty() {
            continue;
        }
        u.elements.insert(name.clone());
        // Attributes: name="value" or a bare name.
        let mut attrs = &tag[name.len()..];
        while let Some(start) = attrs.find(|c: char| c.is_ascii_alphabetic()) {
            attrs = &attrs[start..];
            let n: String = attrs
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == ':')
                .collect();
            attrs = &attrs[n.len()..];
            let value = if let Some(r) = attrs.trim_start().strip_prefix('=') {
                let r = r.trim_start();
                let q = r.chars().next().unwrap_or(' ');
                let (v, after) = if q == '"' || q == '\'' {
                    let close = r[1..].find(q).map_or(r.len() - 1, |j| j + 1);
                    (&r[1..close], &r[(close + 1).min(r.len())..])
                } else {
                    let close = r.find(char::is_whitespace).unwrap_or(r.len());
                    (&r[..close], &r[close..])
                };
                attrs = after;
                v.to_owned()
            } else {
                String::new()
            };
            let n = n.to_lowercase();
            if n == "style" {
                declarations(&value, &mut u.css);
            }
            u.attributes.insert(n);
        }
        if name == "style" {
            let body = &rest[end + 1..];
            let close = body.find("</style>").unwrap_or(body.len());
            // Rule bodies only: `{ ... }`.
            for part in body[..close].split('{').skip(1) {
                declarations(part.split('}').next().unwrap_or(""), &mut u.css);
            }
        }
    }
    u
}

/// The table a CSS declaration is judged by (`display:flex` has its own), if any.
fn css_feature(prop: &str, value: &str, known: &BTreeMap<String, Feature>) -> Option<String> {
    let first = value.split_whitespace().next().unwrap_or("");
    let with_value = format!("css-{prop}-{first}");
    if known.contains_key(&with_value) {
        return Some(with_value);
    }
    if ["left", "right", "top", "bottom"].contains(&prop) {
        return Some("css-left-right-top-bottom".into());
    }
    // `margin-top` is judged by `margin`, `border-top-color` by `border`.
    let mut p = prop.to_owned();
    loop {
        let k = format!("css-{p}");
        if known.contains_key(&k) {
            return Some(k);
        }
        p = p.rsplit_once('-')?.0.to_owned();
    }
}

fn html_feature(name: &str, known: &BTreeMap<String, Feature>) -> Option<String> {
    let k = match name {
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => "html-h1-h6".to_owned(),
        "ul" | "ol" | "li" => "html-lists".to_owned(),
        n => format!("html-{n}"),
    };
    known.contains_key(&k).then_some(k)
}

/// The verdicts of one HTML part: (feature, client, platform, result), for "n" and "a".
fn verdicts(html: &str, known: &BTreeMap<String, Feature>) -> (Vec<String>, Vec<String>) {
    let u = uses(html);
    let mut looked: BTreeMap<String, String> = BTreeMap::new();
    for (p, v) in &u.css {
        if let Some(f) = css_feature(p, v, known) {
            looked.entry(f).or_insert_with(|| format!("{p}: {v}"));
        }
    }
    for e in u.elements.iter().chain(&u.attributes) {
        if let Some(f) = html_feature(e, known) {
            looked.entry(f).or_insert_with(|| e.clone());
        }
    }
    let mut fails = Vec::new();
    let mut partial = Vec::new();
    for (f, used) in &looked {
        let feat = &known[f];
        for (client, platform) in CLIENTS {
            let Some(tests) = feat.stats.get(&(client.to_owned(), platform.to_owned())) else {
                continue;
            };
            let Some((version, result)) = tests.last() else {
                continue;
            };
            let line = format!(
                "{f} ({}; used as `{used}`): {client} {platform} {version}: {result}",
                feat.title
            );
            if result.starts_with('n') {
                if !ALLOWED.iter().any(|(a, _)| a == f) {
                    fails.push(line);
                }
            } else if result.starts_with('a') {
                let notes: Vec<String> = result
                    .split_whitespace()
                    .filter_map(|n| n.strip_prefix('#'))
                    .map(|n| format!("#{n} {}", feat.notes.get(n).map_or("", String::as_str)))
                    .collect();
                let line = format!(
                    "{f} ({}; used as `{used}`): {client} {platform} {version}: partial: {}",
                    feat.title,
                    notes.join("; ")
                );
                partial.push(line);
            }
        }
    }
    (fails, partial)
}

/// The HTML part of an .eml written by `govreview email`.
fn html_of(eml: &PathBuf) -> String {
    let raw = std::fs::read(eml).unwrap();
    let m = mailparse::parse_mail(&raw).unwrap();
    fn find(m: &mailparse::ParsedMail) -> Option<String> {
        if m.ctype.mimetype == "text/html" {
            return m.get_body().ok();
        }
        m.subparts.iter().find_map(find)
    }
    find(&m).expect("an HTML part")
}

#[test]
fn the_org_and_team_emails_use_only_what_work_mail_clients_support() {
    let known = features();
    assert!(known.len() > 250, "the copied tables are there");
    let dir = tempfile::tempdir().unwrap();
    for (name, extra) in [("org.eml", vec![]), ("team.eml", vec!["--team", "growth"])] {
        let eml = dir.path().join(name);
        let o = run(govreview(&root())
            .args([
                "email",
                "-c",
                "sample-data/govreview.toml",
                "-m",
                "2026-10",
                "--as-of",
                "2026-11-10",
                "--eml",
            ])
            .arg(&eml)
            .args(extra));
        assert!(o.status.success(), "{}", stderr(&o));
        let html = html_of(&eml);
        let (fails, partial) = verdicts(&html, &known);
        println!("{name}: partial support ({}):", partial.len());
        for p in &partial {
            println!("  {p}");
        }
        assert!(
            fails.is_empty(),
            "{name} uses what a mail client does not support:\n{}",
            fails.join("\n")
        );
    }
}

/// The checker itself: `display:flex` and `position:absolute` fail it (Outlook for Windows has
/// neither), a plain table passes.
#[test]
fn the_checker_fails_what_outlook_lacks() {
    let known = features();
    let (fails, _) = verdicts(
        r#"<table><tr><td style="display:flex">x</td></tr></table>"#,
        &known,
    );
    assert!(
        fails
            .iter()
            .any(|f| f.starts_with("css-display-flex") && f.contains("outlook windows")),
        "{fails:?}"
    );
    let (fails, _) = verdicts(
        r#"<div style="position: absolute; left: 0">x</div>"#,
        &known,
    );
    assert!(
        fails.iter().any(|f| f.starts_with("css-position")),
        "{fails:?}"
    );
    let (fails, _) = verdicts(
        r#"<table cellpadding="0"><tr><td style="padding: 4px 6px; color: #111">x</td></tr></table>"#,
        &known,
    );
    assert!(fails.is_empty(), "{fails:?}");
}
