//! The loopback rule every Oppie client applies before sending a credential over plain HTTP (or a
//! database password without TLS): only to this machine. One definition for the provider, the
//! policy tools and `oppie`.

/// True when `url`'s host is this machine: `localhost`, or a loopback IPv4 or IPv6 address.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// True when the host name or address `host` (IPv6 with or without brackets) is this machine.
pub fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_is_loopback() {
        for yes in
            ["http://localhost:9/", "http://LOCALHOST/", "http://127.0.0.1/", "http://127.9.9.9:1/x", "http://[::1]:8/"]
        {
            assert!(is_loopback(&url::Url::parse(yes).unwrap()), "{yes}");
        }
        for no in
            ["http://example.com/", "http://10.0.0.1/", "http://localhost.example.com/", "http://[::2]/", "file:///x"]
        {
            assert!(!is_loopback(&url::Url::parse(no).unwrap()), "{no}");
        }
        for yes in ["localhost", "127.0.0.1", "::1", "[::1]"] {
            assert!(is_loopback_host(yes), "{yes}");
        }
        for no in ["db.example.com", "10.1.2.3", "", "localhost.evil"] {
            assert!(!is_loopback_host(no), "{no}");
        }
    }
}
