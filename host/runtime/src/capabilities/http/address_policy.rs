//! Which addresses a script's requests may connect to: every public address,
//! none of the ranges that reach the host itself, its private networks or a
//! cloud's metadata service, unless the operator allows a range for the
//! deployment. IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4)
//! are judged by that address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// An address a request may not connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{address} is a {range} address")]
pub struct Prohibited {
    /// The address.
    pub address: IpAddr,
    /// The name of the range it is in.
    pub range: &'static str,
}

/// The ranges refused by default, by name.
const REFUSED_V4: &[(&str, &str)] = &[
    ("0.0.0.0/8", "this-network"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "carrier-grade NAT (CGNAT)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local (cloud metadata)"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "IETF protocol assignment"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "6to4 relay"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
];

const REFUSED_V6: &[(&str, &str)] = &[
    ("::1/128", "loopback"),
    ("::/96", "unspecified or IPv4-compatible"),
    ("64:ff9b:1::/48", "local NAT64"),
    ("100::/64", "discard"),
    ("2001::/32", "Teredo"),
    ("2001:db8::/32", "documentation"),
    ("fc00::/7", "unique-local (private)"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
];

/// The deployment's rule for the addresses requests connect to.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    /// Ranges the operator allows even though they are refused by default.
    allowed: Vec<IpNet>,
}

impl AddressPolicy {
    /// Refuses the default ranges except those in `allowed`.
    pub fn new(allowed: Vec<IpNet>) -> Self {
        AddressPolicy { allowed }
    }

    /// Whether a request may connect to `address`.
    pub fn check(&self, address: IpAddr) -> Result<(), Prohibited> {
        let judged = embedded_v4(address).map_or(address, IpAddr::V4);
        if self
            .allowed
            .iter()
            .any(|net| net.contains(&address) || net.contains(&judged))
        {
            return Ok(());
        }
        match refused_range(judged) {
            Some(range) => Err(Prohibited { address, range }),
            None => Ok(()),
        }
    }
}

/// The IPv4 address an IPv6 address stands for: IPv4-mapped
/// (`::ffff:a.b.c.d`), well-known NAT64 (`64:ff9b::/96`) and 6to4
/// (`2002:AABB:CCDD::/48`).
fn embedded_v4(address: IpAddr) -> Option<Ipv4Addr> {
    let IpAddr::V6(v6) = address else {
        return None;
    };
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let [a, b, c, d, e, f, g, h] = v6.segments();
    let last32 = || Ipv4Addr::from((u32::from(g) << 16) | u32::from(h));
    match (a, b, c, d, e, f) {
        (0x64, 0xff9b, 0, 0, 0, 0) => Some(last32()),
        (0x2002, ..) => Some(Ipv4Addr::from((u32::from(b) << 16) | u32::from(c))),
        _ => None,
    }
}

fn refused_range(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => {
            if v4 == Ipv4Addr::new(169, 254, 169, 254) || v4 == Ipv4Addr::new(100, 100, 100, 200) {
                return Some("cloud metadata");
            }
            REFUSED_V4.iter().find_map(|(net, name)| {
                let net: Ipv4Net = net.parse().expect("a valid range");
                net.contains(&v4).then_some(*name)
            })
        }
        IpAddr::V6(v6) => {
            if v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
                return Some("cloud metadata");
            }
            REFUSED_V6.iter().find_map(|(net, name)| {
                let net: Ipv6Net = net.parse().expect("a valid range");
                net.contains(&v6).then_some(*name)
            })
        }
    }
}
