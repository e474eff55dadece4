//! A connection's `allowed_hosts`: the only origins its scripts may send
//! requests to.
//!
//! An entry is `HOST`, `*.DOMAIN` (any name under `DOMAIN`, not `DOMAIN`
//! itself), optionally with `:PORT`, optionally prefixed by `https://` (the
//! default) or `http://` (plain HTTP must be asked for). Without a port an
//! entry allows the scheme's default port only.

use std::fmt;
use std::net::Ipv6Addr;

/// A scheme a request may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpScheme {
    /// `https`, port 443 by default.
    Https,
    /// `http`, port 80 by default.
    Http,
}

impl HttpScheme {
    /// The scheme's port when none is given.
    pub fn default_port(self) -> u16 {
        match self {
            HttpScheme::Https => 443,
            HttpScheme::Http => 80,
        }
    }

    /// `https` or `http`.
    pub fn name(self) -> &'static str {
        match self {
            HttpScheme::Https => "https",
            HttpScheme::Http => "http",
        }
    }
}

/// The names an entry matches.
#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    /// This name (lowercase) or IP literal (IPv6 without brackets).
    Exact(String),
    /// Any name ending in `.` + this domain.
    Under(String),
}

/// One entry of `allowed_hosts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    scheme: HttpScheme,
    host: HostPattern,
    port: u16,
}

/// Why an `allowed_hosts` entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid allowed_hosts entry `{entry}`: {reason} (use HOST, *.DOMAIN, HOST:PORT, or http://HOST[:PORT] for plain HTTP)"
)]
pub struct AllowedHostError {
    /// The entry as given.
    pub entry: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl AllowedHost {
    /// Parses one entry.
    pub fn parse(entry: &str) -> Result<Self, AllowedHostError> {
        let fail = |reason| AllowedHostError {
            entry: entry.to_owned(),
            reason,
        };
        let lowered = entry.trim().to_ascii_lowercase();
        let (scheme, rest) = if let Some(rest) = lowered.strip_prefix("https://") {
            (HttpScheme::Https, rest)
        } else if let Some(rest) = lowered.strip_prefix("http://") {
            (HttpScheme::Http, rest)
        } else if lowered.contains("://") {
            return Err(fail("only https:// and http:// are supported"));
        } else {
            (HttpScheme::Https, lowered.as_str())
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#']) {
            return Err(fail("an entry names a host, not a path"));
        }
        if rest.contains('@') {
            return Err(fail("an entry cannot hold user-info (credentials)"));
        }
        let (host, port) = split_port(rest).ok_or_else(|| fail("the port is not a number"))?;
        let port = port.unwrap_or(scheme.default_port());
        if port == 0 {
            return Err(fail("port 0 is not a port"));
        }
        let host = if let Some(domain) = host.strip_prefix("*.") {
            check_name(domain).ok_or_else(|| fail("the domain after `*.` is not a host name"))?;
            HostPattern::Under(domain.to_owned())
        } else if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            let address: Ipv6Addr = v6.parse().map_err(|_| fail("not an IPv6 address"))?;
            HostPattern::Exact(address.to_string())
        } else {
            check_name(host).ok_or_else(|| {
                fail("not a host name (letters, digits, `-` and dots; `*` only as `*.DOMAIN`)")
            })?;
            HostPattern::Exact(host.to_owned())
        };
        Ok(AllowedHost { scheme, host, port })
    }

    fn matches(&self, scheme: HttpScheme, host: &str, port: u16) -> bool {
        self.scheme == scheme
            && self.port == port
            && match &self.host {
                HostPattern::Exact(name) => name == host,
                HostPattern::Under(domain) => host
                    .strip_suffix(domain.as_str())
                    .is_some_and(|label| label.len() > 1 && label.ends_with('.')),
            }
    }
}

impl fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = match &self.host {
            HostPattern::Exact(name) if name.contains(':') => format!("[{name}]"),
            HostPattern::Exact(name) => name.clone(),
            HostPattern::Under(domain) => format!("*.{domain}"),
        };
        write!(f, "{}://{host}:{}", self.scheme.name(), self.port)
    }
}

/// `host[:port]` → host and port; `None` when the port is not a number.
fn split_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let port_at = match authority.rfind(':') {
        // A bare IPv6 literal's colons are not a port.
        Some(i) if !authority.starts_with('[') || authority[..i].ends_with(']') => i,
        _ => return Some((authority, None)),
    };
    let port = authority[port_at + 1..].parse().ok()?;
    Some((&authority[..port_at], Some(port)))
}

/// A DNS name or IPv4 literal: dot-separated labels of letters, digits and
/// `-`, none empty.
fn check_name(name: &str) -> Option<()> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    ok.then_some(())
}

/// A connection's list; empty: no network at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts(Vec<AllowedHost>);

impl AllowedHosts {
    /// Parses every entry, refusing the first invalid one.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, AllowedHostError> {
        entries
            .iter()
            .map(|e| AllowedHost::parse(e.as_ref()))
            .collect::<Result<_, _>>()
            .map(AllowedHosts)
    }

    /// Whether the list is empty (the connection has no network).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a request to `scheme://host:port` may go out. `host` is
    /// lowercase, an IPv6 literal without brackets.
    pub fn allows(&self, scheme: HttpScheme, host: &str, port: u16) -> bool {
        self.0.iter().any(|entry| entry.matches(scheme, host, port))
    }
}
