//! Which address a request came from. The connection's peer, unless the peer is one of the
//! reverse proxies named in `trusted_proxies`: only then is `X-Forwarded-For` read, from the
//! right (the entry our own proxy added) leftwards past other trusted proxies. Anyone else can
//! write that header, so believing it from anyone would let a client pick its own address.

use std::net::IpAddr;

use http::HeaderMap;
use ipnet::IpNet;

pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpNet]) -> IpAddr {
    let trusted = |address: &IpAddr| trusted_proxies.iter().any(|net| net.contains(address));
    if !trusted(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let mut client = peer;
    for entry in forwarded.iter().rev() {
        // An entry that is not an address ends the chain: what lies left of it is made up.
        let Ok(address) = entry.parse::<IpAddr>() else {
            break;
        };
        client = address;
        if !trusted(&address) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(forwarded: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(forwarded).unwrap());
        headers
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|net| net.parse().unwrap()).collect()
    }

    #[test]
    fn the_header_is_ignored_unless_the_peer_is_a_trusted_proxy() {
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(client_address(peer, &headers("198.51.100.1"), &[]), peer);
        assert_eq!(
            client_address(peer, &headers("198.51.100.1"), &nets(&["10.0.0.0/8"])),
            peer
        );
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let trusted = nets(&["10.0.0.0/8"]);
        // The client wrote a fake first entry; our proxies appended the real hops after it.
        assert_eq!(
            client_address(proxy, &headers("1.2.3.4, 198.51.100.7, 10.0.0.1"), &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_address(proxy, &headers("garbage, 198.51.100.7"), &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_address(proxy, &HeaderMap::new(), &trusted), proxy);
        assert_eq!(client_address(proxy, &headers("not-an-address"), &trusted), proxy);
    }
}
