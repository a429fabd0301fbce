//! Allowed client networks: IP addresses and CIDR blocks (`10.0.0.0/8`, `::1`, `::/0`).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// One allowed network: an address and a prefix length (32 or 128 for a single host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    /// IPv4 loopback (`127.0.0.0/8`).
    pub const LOOPBACK_V4: Network = Network {
        addr: IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 0)),
        prefix: 8,
    };
    /// IPv6 loopback (`::1`).
    pub const LOOPBACK_V6: Network = Network {
        addr: IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        prefix: 128,
    };

    /// Whether `ip` lies in this network. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`)
    /// count as their IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            // An IPv6 network also holds the IPv4 addresses mapped into it (`::/0` is
            // everyone, `::ffff:0:0/96` every IPv4 client).
            (IpAddr::V6(net), IpAddr::V4(ip)) => {
                prefix_eq(&net.octets(), &ip.to_ipv6_mapped().octets(), self.prefix)
            }
            (IpAddr::V4(_), IpAddr::V6(_)) => false,
        }
    }
}

/// Whether the first `prefix` bits of `a` and `b` are equal.
fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    if a[..full] != b[..full] {
        return false;
    }
    let rest = prefix % 8;
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    (a[full] & mask) == (b[full] & mask)
}

/// Why a network could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadNetwork(pub String);

impl fmt::Display for BadNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not an IP address or CIDR block (e.g. 10.0.0.0/8, ::1, ::/0)",
            self.0
        )
    }
}

impl FromStr for Network {
    type Err = BadNetwork;

    fn from_str(s: &str) -> Result<Network, BadNetwork> {
        let bad = || BadNetwork(s.to_owned());
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(Network { addr, prefix })
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Network {
        s.parse().expect("valid network")
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("valid ip")
    }

    #[test]
    fn cidr_matching() {
        assert!(net("10.0.0.0/8").contains(ip("10.200.3.4")));
        assert!(!net("10.0.0.0/8").contains(ip("11.0.0.1")));
        assert!(net("192.168.1.0/25").contains(ip("192.168.1.127")));
        assert!(!net("192.168.1.0/25").contains(ip("192.168.1.128")));
        assert!(net("0.0.0.0/0").contains(ip("8.8.8.8")));
        assert!(net("1.2.3.4").contains(ip("1.2.3.4")));
        assert!(!net("1.2.3.4").contains(ip("1.2.3.5")));
        assert!(net("::/0").contains(ip("2001:db8::1")));
        assert!(net("::/0").contains(ip("1.2.3.4")));
        assert!(!net("2001:db8::/32").contains(ip("1.2.3.4")));
        assert!(!net("1.2.3.4").contains(ip("2001:db8::1")));
        assert!(net("2001:db8::/32").contains(ip("2001:db8:ffff::1")));
        assert!(Network::LOOPBACK_V6.contains(ip("::1")));
        assert!(Network::LOOPBACK_V4.contains(ip("::ffff:127.0.0.1")));
    }

    #[test]
    fn bad_networks() {
        for s in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "x",
            "1.2.3.4/-1",
            "1.2.3.4/",
        ] {
            assert!(s.parse::<Network>().is_err(), "{s}");
        }
    }
}
