//! CIDR blocks as users write them, on the `ipnet` crate: host bits must be zero (a block
//! such as `10.2.3.0/16` is refused with the block it probably meant).

use std::fmt;
use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net};

/// An IPv4 CIDR block with its host bits zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cidr(Ipv4Net);

/// Parses `text` as a block of either family, its host bits zero.
fn parse_any(text: &str) -> Result<IpNet, String> {
    let (ip, len) = text.split_once('/').ok_or_else(|| format!("{text:?} is not a CIDR block like \"10.0.0.0/16\""))?;
    let addr: IpAddr = ip.parse().map_err(|_| format!("{text:?}: {ip:?} is not an IP address"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix: u8 =
        len.parse().ok().filter(|p| *p <= max).ok_or_else(|| format!("{text:?}: prefix /{len} must be 0 to {max}"))?;
    let net = IpNet::new(addr, prefix).map_err(|e| format!("{text:?}: {e}"))?;
    if net.trunc() != net {
        return Err(format!("{text:?} has host bits set; did you mean \"{}\"?", net.trunc()));
    }
    Ok(net)
}

/// Checks an IPv4 or IPv6 block (host bits zero).
pub fn check_any(text: &str) -> Result<(), String> {
    parse_any(text).map(|_| ())
}

impl Cidr {
    /// Parses `a.b.c.d/n`, requiring the host bits to be zero.
    pub fn parse(text: &str) -> Result<Cidr, String> {
        match parse_any(text)? {
            IpNet::V4(n) => Ok(Cidr(n)),
            IpNet::V6(_) => Err(format!("{text:?} is an IPv6 block; give an IPv4 one like \"10.0.0.0/16\"")),
        }
    }

    /// The prefix length.
    pub fn prefix(self) -> u8 {
        self.0.prefix_len()
    }

    /// True if `other` lies entirely inside this block.
    pub fn contains(self, other: Cidr) -> bool {
        self.0.contains(&other.0)
    }

    /// True if the two blocks share any address.
    pub fn overlaps(self, other: Cidr) -> bool {
        self.contains(other) || other.contains(self)
    }

    /// The `n`-th subnet with `new_bits` more prefix bits.
    pub fn subnet(self, new_bits: u8, n: u32) -> Option<Cidr> {
        let prefix = self.prefix().checked_add(new_bits).filter(|p| *p <= 32)?;
        self.0.subnets(prefix).ok()?.nth(usize::try_from(n).ok()?).map(Cidr)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn blocks_parse_with_their_host_bits_zero() {
        let net = Cidr::parse("10.0.0.0/16").unwrap();
        let sub = Cidr::parse("10.0.5.0/24").unwrap();
        assert!(net.contains(sub) && !sub.contains(net) && net.overlaps(sub));
        assert!(!Cidr::parse("10.1.0.0/16").unwrap().overlaps(sub));
        assert!(Cidr::parse("10.2.3.0/16").unwrap_err().contains("did you mean \"10.2.0.0/16\""));
        assert!(Cidr::parse("10.2.0.0").unwrap_err().contains("not a CIDR"));
        assert!(Cidr::parse("10.2.0.0/33").unwrap_err().contains("0 to 32"));
        assert!(Cidr::parse("::/0").unwrap_err().contains("IPv6"));
        assert_eq!(net.subnet(8, 21).unwrap().to_string(), "10.0.21.0/24");
        assert_eq!(net.subnet(8, 256), None);
        assert!(check_any("2001:db8::/32").is_ok());
        assert!(check_any("2001:db8::1/32").unwrap_err().contains("host bits"));
        assert_eq!(Cidr::parse("0.0.0.0/0").unwrap().prefix(), 0);
    }

    proptest! {
        #[test]
        fn parsing_never_panics(s in ".{0,40}", n in any::<u32>(), bits in any::<u8>()) {
            if let Ok(c) = Cidr::parse(&s) {
                let _ = c.subnet(bits, n);
            }
            let _ = check_any(&s);
        }
    }
}
