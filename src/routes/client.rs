//! Who is asking: the client's address, believing `X-Forwarded-For` only when the
//! connecting peer is one of `server.trusted_proxies`. Anyone can write that header, so
//! from anyone else it is ignored; logs, rate limits and the audit log use this.

use std::net::IpAddr;

use actix_web::{HttpRequest, web};
use ipnet::IpNet;

/// The configured proxies, registered as app data.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(proxies: Vec<IpNet>) -> TrustedProxies {
        TrustedProxies(proxies)
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`: the peer itself unless it is a trusted proxy, else the
    /// right-most `X-Forwarded-For` address that is not a trusted proxy (each proxy
    /// appends the address it saw, so the right end is the one we can believe).
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        for hop in forwarded_for
            .iter()
            .flat_map(|h| h.split(','))
            .rev()
            .map(str::trim)
        {
            let Ok(ip) = hop.parse::<IpAddr>() else {
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// The client's address, or `None` for a request without a peer (tests).
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    Some(match req.app_data::<web::Data<TrustedProxies>>() {
        Some(proxies) => proxies.client(peer, &forwarded),
        None => peer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let proxies = TrustedProxies::new(vec!["10.0.0.0/8".parse().unwrap()]);
        // A stranger's header is ignored.
        assert_eq!(
            proxies.client(ip("203.0.113.9"), &["1.2.3.4"]),
            ip("203.0.113.9")
        );
        // Through our proxy: the address it saw.
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &["198.51.100.7"]),
            ip("198.51.100.7")
        );
        // A client that forges a first hop gets the address our proxy saw, not its forgery.
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &["1.2.3.4, 198.51.100.7"]),
            ip("198.51.100.7")
        );
        // Two proxies of ours in a row.
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &["198.51.100.7", "10.0.0.3"]),
            ip("198.51.100.7")
        );
        // Nothing usable: the proxy itself.
        assert_eq!(proxies.client(ip("10.0.0.2"), &["junk"]), ip("10.0.0.2"));
        assert_eq!(
            TrustedProxies::default().client(ip("10.0.0.2"), &["1.2.3.4"]),
            ip("10.0.0.2")
        );
    }
}
