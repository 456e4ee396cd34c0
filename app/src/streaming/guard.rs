//! Where a destination may point: never into the server's own networks (loopback, private,
//! link-local, the cloud metadata address, …) unless `streaming.allow_private_networks` says
//! so, for an on-premises SIEM. Checked when a destination is saved and again on every
//! connection, on the addresses actually connected to, so a DNS answer changed after saving
//! can't point a destination inward.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Whether `ip` is one of this server's neighbours rather than the internet.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_internal_v4(v4),
            None => is_internal_v6(v6),
        },
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254.0.0/16, with the metadata address 169.254.169.254
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT)
        || (a == 192 && b == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local, with fd00:ec2::254 (a cloud's metadata)
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated, still routed inward)
        || ip.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0] // NAT64 of any IPv4
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || ip.to_ipv4().is_some_and(is_internal_v4) // IPv4-compatible
}

/// The addresses `host:port` resolves to, all of them allowed, or why not.
pub async fn resolve(host: &str, port: u16, allow_internal: bool) -> Result<Vec<SocketAddr>, String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((bare, port))
            .await
            .map_err(|error| format!("{host} could not be resolved: {error}"))?
            .collect(),
    };
    if addresses.is_empty() {
        return Err(format!("{host} has no address"));
    }
    if !allow_internal && let Some(inward) = addresses.iter().find(|address| is_internal(address.ip())) {
        return Err(format!(
            "{host} is {} — a loopback, private, link-local or metadata address; allowed only with streaming.allow_private_networks",
            inward.ip()
        ));
    }
    Ok(addresses)
}

/// reqwest's name lookups, through [`resolve`]: what it connects to passes the check.
#[derive(Debug, Clone, Copy)]
pub struct CheckedResolver {
    pub allow_internal: bool,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_internal = self.allow_internal;
        Box::pin(async move {
            let addresses = resolve(name.as_str(), 0, allow_internal).await?;
            let addresses: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(addresses)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inward_addresses_are_told_apart_from_the_internet() {
        for inward in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(is_internal(inward.parse().unwrap()), "{inward}");
        }
        for outside in [
            "8.8.8.8",
            "1.1.1.1",
            "2606:4700::1111",
            "172.32.0.1",
            "100.128.0.1",
        ] {
            assert!(!is_internal(outside.parse().unwrap()), "{outside}");
        }
    }

    #[tokio::test]
    async fn names_and_literals_that_point_inward_are_refused() {
        for host in ["127.0.0.1", "[::1]", "localhost", "169.254.169.254"] {
            let refused = resolve(host, 443, false).await.unwrap_err();
            assert!(refused.contains("allow_private_networks"), "{host}: {refused}");
            assert!(resolve(host, 443, true).await.is_ok(), "{host}");
        }
    }
}
