//! `--allow-private-networks`: address ranges scripts' HTTP requests may
//! reach in this process although authbox refuses them by default
//! (loopback, private, link-local, CGNAT, cloud metadata...).

use std::net::IpAddr;

use ipnet::IpNet;

/// What the flag's help says of it.
pub const HELP: &str = "An address range scripts' HTTP requests may reach although authbox refuses it by default (loopback, private, link-local, CGNAT, cloud metadata), as CIDR or one address; repeatable, or comma-separated";

/// Parses `CIDR` or one address (a range of one).
pub fn parse_network(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| {
            format!(
                "`{text}` is not an address range: write e.g. 10.20.0.0/16, 127.0.0.1 or fd00::/8"
            )
        })
}
