//! Deciding whether traffic stays on this machine: plain HTTP and unencrypted SMTP are only
//! allowed to loopback.

/// Whether a host name or address is this machine: `localhost`, 127.0.0.0/8 or `::1`
/// (brackets allowed).
pub fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An API base address as the client will use it: parsed as a URL (never by splitting text),
/// `https`, or `http` to this machine only; no user name or password in it (they would travel
/// with every request), no query or fragment.
pub fn api_base(text: &str) -> Result<url::Url, String> {
    let u = url::Url::parse(text.trim()).map_err(|e| {
        format!("`{text}` is not a web address ({e}); give one such as https://api.anthropic.com")
    })?;
    if !u.username().is_empty() || u.password().is_some() {
        return Err(format!(
            "`{text}` carries a user name or password before `@`; keys travel in a header, never in the address: remove it"
        ));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(format!(
            "`{text}` has a query or fragment; give the API's base address only"
        ));
    }
    let loopback = match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => {
            return Err(format!(
                "`{text}` names no host; give one such as https://api.anthropic.com"
            ));
        }
    };
    match u.scheme() {
        "https" => Ok(u),
        "http" if loopback => Ok(u),
        "http" => Err(format!(
            "`{text}` is not HTTPS; the key would travel unencrypted. Use https:// (plain http only to 127.0.0.1 or localhost)"
        )),
        other => Err(format!(
            "`{text}` uses `{other}:`; the API is reached over https:// (or http:// to this machine)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback_host("127.0.0.1") && is_loopback_host("[::1]"));
        assert!(is_loopback_host("localhost") && is_loopback_host("127.5.0.9"));
        assert!(!is_loopback_host("smtp.example.com") && !is_loopback_host("127.example.com"));
    }

    #[test]
    fn api_bases_are_parsed_before_the_loopback_rule() {
        assert!(api_base("https://api.anthropic.com").is_ok());
        assert!(api_base("http://127.0.0.1:8080").is_ok());
        assert!(api_base("http://[::1]:9/").is_ok());
        assert!(api_base("http://localhost:1").is_ok());
        for bad in [
            "http://127.0.0.1:1@192.0.2.2:80",
            "https://user:pw@api.anthropic.com",
            "http://192.0.2.2",
            "http://127.0.0.1.example.com",
            "ftp://127.0.0.1",
            "https://api.anthropic.com/?x=1",
            "not a url",
        ] {
            assert!(api_base(bad).is_err(), "{bad}");
        }
        assert!(
            api_base("http://127.0.0.1:1@192.0.2.2:80")
                .unwrap_err()
                .contains("user name or password")
        );
    }
}
