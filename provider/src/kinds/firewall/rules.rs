//! Firewall rules in a cloud-neutral shape: protocol, port range, peers and description,
//! which each cloud file maps onto its own rule model.

use std::collections::BTreeSet;
use std::fmt;

/// The protocol a rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP (all types).
    Icmp,
    /// Every protocol.
    All,
}

impl Protocol {
    /// Every protocol, in display order.
    pub const ALL: [Protocol; 4] = [Protocol::Tcp, Protocol::Udp, Protocol::Icmp, Protocol::All];

    /// The key users write.
    pub fn key(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
            Protocol::All => "all",
        }
    }

    /// Parses a key.
    pub fn parse(s: &str) -> Option<Protocol> {
        Protocol::ALL.into_iter().find(|p| p.key() == s)
    }

    /// True for protocols that have ports.
    pub fn has_ports(self) -> bool {
        matches!(self, Protocol::Tcp | Protocol::Udp)
    }
}

/// An inclusive port range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortRange {
    /// First port.
    pub from: u16,
    /// Last port.
    pub to: u16,
}

impl PortRange {
    /// Every port.
    pub const ALL: PortRange = PortRange { from: 0, to: 65535 };

    /// Parses "443" or "8000-8080"; the text of the problem otherwise.
    pub fn parse(text: &str) -> Result<PortRange, String> {
        let port = |s: &str| -> Result<u16, String> {
            let n: u32 =
                s.trim().parse().map_err(|_| format!("{text:?} is not a port or a range like \"8000-8080\""))?;
            if !(1..=65535).contains(&n) {
                return Err(format!("port {n} is out of bounds: ports run from 1 to 65535"));
            }
            Ok(n as u16)
        };
        let (from, to) = match text.split_once('-') {
            Some((a, b)) => (port(a)?, port(b)?),
            None => {
                let p = port(text)?;
                (p, p)
            }
        };
        if from > to {
            return Err(format!("range {text:?} runs backwards: write \"{to}-{from}\""));
        }
        Ok(PortRange { from, to })
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to { write!(f, "{}", self.from) } else { write!(f, "{}-{}", self.from, self.to) }
    }
}

/// One rule: traffic of `protocol` on `ports` from (ingress) or to (egress) `sources`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rule {
    /// Protocol.
    pub protocol: Protocol,
    /// Ports; `None` means all (and always for icmp/all).
    pub ports: Option<PortRange>,
    /// CIDR blocks.
    pub sources: BTreeSet<String>,
    /// Free text.
    pub description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_ranges_parse_and_print() {
        assert_eq!(PortRange::parse("443").unwrap(), PortRange { from: 443, to: 443 });
        assert_eq!(PortRange::parse("8000-8080").unwrap().to_string(), "8000-8080");
        assert!(PortRange::parse("0").unwrap_err().contains("out of bounds"));
        assert!(PortRange::parse("70000").unwrap_err().contains("out of bounds"));
        assert!(PortRange::parse("90-80").unwrap_err().contains("backwards"));
        assert!(PortRange::parse("http").is_err());
    }
}
