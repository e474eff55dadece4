//! The IPs and CIDR ranges a protection leaves alone.

use std::net::IpAddr;

use ipnet::IpNet;

/// Parsed allow-list entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist(Vec<IpNet>);

impl Allowlist {
    /// Parses each entry: an IPv4 or IPv6 address, or a CIDR range.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        entries
            .iter()
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!("allowlist: `{entry}` is not an IP address or a CIDR range")
                    })
            })
            .collect::<Result<_, _>>()
            .map(Allowlist)
    }

    /// Whether `ip` (text, as the client's address is kept) is on the list.
    /// An IPv4 address mapped into IPv6 counts as the IPv4 address.
    pub fn contains(&self, ip: &str) -> bool {
        let Ok(ip) = ip.parse::<IpAddr>() else {
            return false;
        };
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }
}
