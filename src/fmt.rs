//! Number formatting shared by the terminal summary and every renderer.

/// What a figure that is not a number prints as.
pub const NOT_A_NUMBER: &str = "n/a";

/// Groups the integer part of a non-negative number string with commas.
fn group(int: &str) -> String {
    let mut out = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `$12,345.67` (negative: `-$12.00`; not a number: `n/a`, never a made-up amount).
pub fn usd(v: f64) -> String {
    if !v.is_finite() {
        return NOT_A_NUMBER.to_owned();
    }
    let cents = (v.abs() * 100.0).round() as u128;
    let sign = if v < 0.0 && cents > 0 { "-" } else { "" };
    format!(
        "{sign}${}.{:02}",
        group(&(cents / 100).to_string()),
        cents % 100
    )
}

/// `$0.0123` below a dollar (four decimals), `$1.23` above: what one request costs.
pub fn usd_each(v: f64) -> String {
    if !v.is_finite() {
        return NOT_A_NUMBER.to_owned();
    }
    if v.abs() >= 1.0 {
        return usd(v);
    }
    let s = format!("${:.4}", v.abs());
    if v < 0.0 { format!("-{s}") } else { s }
}

/// `$50,000`: whole dollars, for budgets and bands (cents shown only when the amount has them).
pub fn usd_whole(v: f64) -> String {
    if (v * 100.0).round() % 100.0 == 0.0 {
        let s = usd(v);
        s.trim_end_matches(".00").to_owned()
    } else {
        usd(v)
    }
}

/// `$99,007`: rounded to the dollar, for annual figures and dollars per week.
pub fn usd0(v: f64) -> String {
    if !v.is_finite() {
        return NOT_A_NUMBER.to_owned();
    }
    let d = v.abs().round() as u128;
    let sign = if v < 0.0 && d > 0 { "-" } else { "" };
    format!("{sign}${}", group(&d.to_string()))
}

/// `+$1,234.00` / `-$56.78`: a signed change in dollars.
pub fn usd_signed(v: f64) -> String {
    if (v * 100.0).round() == 0.0 {
        "$0.00".to_owned()
    } else if v > 0.0 {
        format!("+{}", usd(v))
    } else {
        usd(v)
    }
}

/// An amount rounded to the cent.
pub fn cents(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The change between two amounts shown beside it, as `+$1,234.00`: taken from the amounts
/// rounded to the cent, so that it agrees with them to the cent as printed.
pub fn usd_change(current: f64, previous: f64) -> String {
    let cents = |v: f64| (v * 100.0).round();
    usd_signed((cents(current) - cents(previous)) / 100.0)
}

/// `$12.3k`, `$1.24M`: compact dollars for charts and tight tables.
pub fn usd_short(v: f64) -> String {
    let a = v.abs();
    let sign = if v < 0.0 { "-" } else { "" };
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s
        }
    };
    if a >= 1e6 {
        format!("{sign}${}M", trim(format!("{:.2}", a / 1e6)))
    } else if a >= 1e5 {
        format!("{sign}${:.0}k", a / 1e3)
    } else if a >= 1e3 {
        format!("{sign}${}k", trim(format!("{:.1}", a / 1e3)))
    } else {
        format!("{sign}${a:.0}")
    }
}

/// A fraction as a percentage with one decimal: `0.4123` → `41.2%`.
pub fn pct(v: f64) -> String {
    if !v.is_finite() {
        return NOT_A_NUMBER.to_owned();
    }
    let s = format!("{:.1}%", v * 100.0);
    if s == "-0.0%" { "0.0%".to_owned() } else { s }
}

/// A change of a fraction in percentage points: `0.031` → `+3.1 pp`.
pub fn pp(v: f64) -> String {
    let r = (v * 1000.0).round() / 10.0;
    if r == 0.0 {
        "±0.0 pp".to_owned()
    } else {
        format!("{r:+.1} pp")
    }
}

/// A relative change: `0.123` → `+12.3%`.
pub fn pct_signed(v: f64) -> String {
    let r = (v * 1000.0).round() / 10.0;
    if r == 0.0 {
        "±0.0%".to_owned()
    } else {
        format!("{r:+.1}%")
    }
}

/// A whole number with thousands separators.
pub fn int(v: f64) -> String {
    if !v.is_finite() {
        return NOT_A_NUMBER.to_owned();
    }
    let r = v.round();
    let s = group(&(r.abs() as u128).to_string());
    if r < 0.0 { format!("-{s}") } else { s }
}

/// `1 day`, `3 days`: a count with its noun in the right number (nouns that take an `s`).
pub fn count(n: i64, noun: &str) -> String {
    if n == 1 || n == -1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A small quantity such as weeks of effort: at most one decimal, none when whole (`2`, `0.5`).
pub fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// A number as written in a configuration, for an error message: plain when it reads well,
/// else in exponent form (`1e308`, `5e-324`), never 300 digits.
pub fn num_or_raw(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-3..1e9).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// A ratio such as pacing: `0.874` → `0.87`.
pub fn ratio(v: f64) -> String {
    format!("{v:.2}")
}

/// The longest slug: file names built from it (`charts/team-<slug>.svg`) stay far below the
/// 255 bytes file systems allow.
pub const MAX_SLUG: usize = 60;

/// A name as lowercase ASCII letters, digits and single dashes ("Growth & Ads" -> "growth-ads");
/// empty when it has none. A longer name than [`MAX_SLUG`] keeps its first 51 characters and a
/// short hash of the whole name, so that two long names that start alike stay apart.
pub fn slug(name: &str) -> String {
    let s = slug_all(name);
    if s.len() <= MAX_SLUG {
        return s;
    }
    let head = s[..MAX_SLUG - 9].trim_end_matches('-');
    format!("{head}-{:08x}", fnv(name))
}

/// FNV-1a over the name as given, 32 bits: stable across runs and platforms.
fn fnv(name: &str) -> u32 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    }) as u32
}

/// An identifier from a name: its [`slug`] where that says it all (a plain ASCII name of letters,
/// digits, spaces and the usual punctuation), else the slug and a hash of the name, so that names
/// the slug would merge (`Zürich AG` and `Zarich AG`, or names without an ASCII letter) stay apart.
pub fn stable_id(name: &str) -> String {
    let s = slug(name);
    let plain = name.chars().all(|c| {
        c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | ',' | '&' | '\'')
    });
    if plain && !s.is_empty() && s == slug_all(name) {
        s
    } else if s.is_empty() {
        format!("{:08x}", fnv(name))
    } else {
        format!("{s}-{:08x}", fnv(name))
    }
}

fn slug_all(name: &str) -> String {
    let dashed: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    dashed
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Whether `c` is a bidirectional formatting character (an embedding, override or isolate, or a
/// direction mark): shown raw, it reorders the text around it, so that a name can read as
/// another (`app\u{202E}lave` shows as "appeval").
pub fn is_bidi(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// `text` with its bidirectional formatting characters written out visibly (`\u{202e}`), so
/// that what is shown is what the data holds; other text unchanged (and not copied).
pub fn bidi_visible(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_bidi) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_bidi(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A JSON text with every bidirectional formatting character written as a `\uXXXX` escape: the
/// same value to a reader of the JSON, shown without reordering in an editor or a diff. (Such
/// characters stand only inside JSON strings, where an escape means the same character.)
pub fn json_bidi_escaped(json: String) -> String {
    if !json.chars().any(is_bidi) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_bidi(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_letters_digits_and_single_dashes() {
        assert_eq!(slug("Growth & Ads"), "growth-ads");
        assert_eq!(
            slug("  Northwind Robotics, Inc. "),
            "northwind-robotics-inc"
        );
        assert_eq!(slug("Über"), "ber");
        assert_eq!(slug("&&"), "");
        let long = "x".repeat(250);
        let a = slug(&long);
        let b = slug(&format!("{long}y"));
        assert!(a.len() <= MAX_SLUG && b.len() <= MAX_SLUG, "{a}");
        assert_ne!(a, b, "long names that start alike stay apart");
        assert!(a.starts_with("xxxxxxxx"));
    }

    #[test]
    fn dollars() {
        assert_eq!(usd0(99_007.42), "$99,007");
        assert_eq!(usd0(1_031.5), "$1,032");
        assert_eq!(usd0(-0.2), "$0");
    }

    #[test]
    fn small_quantities() {
        assert_eq!(num(2.0), "2");
        assert_eq!(num(0.5), "0.5");
        assert_eq!(num(11.04), "11");
        assert_eq!(num(7.25), "7.3");
    }

    #[test]
    fn money() {
        assert_eq!(usd(1234567.891), "$1,234,567.89");
        assert_eq!(usd(0.005), "$0.01");
        assert_eq!(usd(-12.0), "-$12.00");
        assert_eq!(usd(-0.001), "$0.00");
        assert_eq!(usd_signed(250.0), "+$250.00");
        assert_eq!(usd_signed(-0.001), "$0.00");
        assert_eq!(usd_short(12_345.0), "$12.3k");
        // 10.005 shows as $10.01 and 5.004 as $5.00: the change shown is $5.01, not $5.00.
        assert_eq!(usd_change(10.005, 5.004), "+$5.01");
        assert_eq!(usd_change(5.0, 5.001), "$0.00");
        assert_eq!(usd_short(1_240_000.0), "$1.24M");
        assert_eq!(usd_short(600_000.0), "$600k");
        assert_eq!(usd_short(2_000_000.0), "$2M");
        assert_eq!(usd_short(12_000.0), "$12k");
    }

    #[test]
    fn shares() {
        assert_eq!(pct(0.41234), "41.2%");
        assert_eq!(pp(0.031), "+3.1 pp");
        assert_eq!(pp(-0.0004), "±0.0 pp");
        assert_eq!(pct_signed(-0.05), "-5.0%");
        assert_eq!(int(1234567.4), "1,234,567");
        assert_eq!(ratio(0.8745), "0.87");
        assert_eq!(count(1, "day"), "1 day");
        assert_eq!(count(41, "day"), "41 days");
        assert_eq!(count(0, "finding"), "0 findings");
    }

    #[test]
    fn bidi_marks_are_shown_and_json_keeps_the_value() {
        assert_eq!(bidi_visible("plain"), "plain");
        assert_eq!(bidi_visible("app\u{202E}lave"), "app\\u{202e}lave");
        let json = serde_json::to_string(&"a\u{2067}b").unwrap();
        let escaped = json_bidi_escaped(json);
        assert_eq!(escaped, "\"a\\u2067b\"");
        let back: String = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back, "a\u{2067}b");
    }
}
