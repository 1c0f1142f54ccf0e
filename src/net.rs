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

/// The host of a URL: `http://[::1]:8080/x` gives `[::1]`, `https://api.example.com/v1` gives
/// `api.example.com`.
pub fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or("");
    match authority.find(']') {
        Some(end) if authority.starts_with('[') => &authority[..=end],
        _ => authority.split(':').next().unwrap_or(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_and_urls() {
        let url = |u: &str| is_loopback_host(url_host(u));
        assert!(url("http://127.0.0.1:8080"));
        assert!(url("http://localhost/x"));
        assert!(url("http://[::1]:9"));
        assert!(!url("http://api.anthropic.com"));
        assert!(!url("http://127.example.com"));
        assert!(is_loopback_host("127.0.0.1") && is_loopback_host("[::1]"));
        assert!(!is_loopback_host("smtp.example.com"));
    }
}
