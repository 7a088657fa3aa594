//! Ranges this provider process has seen in the current Terraform run (networks and subnets,
//! planned or refreshed), so a subnet outside its network, or overlapping a sibling, fails
//! at plan time even when the network is new and its id unknown. Terraform plans a network
//! before the subnets that refer to it, in the same provider process.

use std::sync::Mutex;

use crate::cidr::Cidr;

struct Seen {
    /// (network id, or None while it is being created; range).
    networks: Vec<(Option<String>, Cidr)>,
    /// (network id or None; range).
    subnets: Vec<(Option<String>, Cidr)>,
}

static SEEN: Mutex<Seen> = Mutex::new(Seen { networks: Vec::new(), subnets: Vec::new() });

fn with<T>(f: impl FnOnce(&mut Seen) -> T) -> T {
    let mut guard = SEEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut guard)
}

/// Records a network's range (`id` None for one being created). Networks being created
/// are not deduplicated: two new networks with the same range must count as two, or their
/// subnets would be taken for siblings.
pub fn planned_network(id: Option<String>, cidr: Cidr) {
    with(|s| {
        if id.is_none() || !s.networks.contains(&(id.clone(), cidr)) {
            s.networks.push((id, cidr));
        }
    });
}

/// Records a subnet and checks it: inside its network, overlapping no sibling. A subnet
/// whose network id is unknown is checked against the networks being created (it must lie
/// in one of them), and against siblings only when exactly one network is being created.
pub fn planned_subnet(network_id: Option<&str>, cidr: Cidr) -> Result<(), String> {
    with(|s| {
        match network_id {
            Some(id) => {
                if let Some((_, net)) = s.networks.iter().find(|(n, _)| n.as_deref() == Some(id))
                    && !net.contains(cidr)
                {
                    return Err(format!("{cidr} is not inside its network's range {net}"));
                }
            }
            None => {
                let new: Vec<Cidr> = s.networks.iter().filter(|(n, _)| n.is_none()).map(|(_, c)| *c).collect();
                if !new.is_empty() && !new.iter().any(|n| n.contains(cidr)) {
                    let list = new.iter().map(Cidr::to_string).collect::<Vec<_>>().join(", ");
                    return Err(format!("{cidr} is not inside the range of the network being created ({list})"));
                }
            }
        }
        let one_new_network = s.networks.iter().filter(|(n, _)| n.is_none()).count() == 1;
        let same_network = |other: &Option<String>| match (network_id, other.as_deref()) {
            (Some(a), Some(b)) => a == b,
            (None, None) => one_new_network,
            _ => false,
        };
        if let Some((_, clash)) = s.subnets.iter().find(|(n, c)| same_network(n) && *c != cidr && c.overlaps(cidr)) {
            return Err(format!("{cidr} overlaps subnet {clash} of the same network"));
        }
        let entry = (network_id.map(str::to_string), cidr);
        if !s.subnets.contains(&entry) {
            s.subnets.push(entry);
        }
        Ok(())
    })
}

#[cfg(test)]
pub(crate) fn reset() {
    with(|s| {
        s.networks.clear();
        s.subnets.clear();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        Cidr::parse(s).unwrap()
    }

    #[test]
    fn subnets_are_checked_against_networks_and_siblings() {
        reset();
        planned_network(Some("vpc-1".into()), c("10.1.0.0/16"));
        assert!(planned_subnet(Some("vpc-1"), c("10.1.1.0/24")).is_ok());
        assert!(planned_subnet(Some("vpc-1"), c("10.9.1.0/24")).unwrap_err().contains("not inside"));
        assert!(planned_subnet(Some("vpc-1"), c("10.1.1.128/25")).unwrap_err().contains("overlaps"));
        assert!(planned_subnet(Some("vpc-1"), c("10.1.1.0/24")).is_ok(), "the same subnet planned again");
        // Unknown network id: checked against the new network.
        planned_network(None, c("10.2.0.0/16"));
        assert!(planned_subnet(None, c("10.2.1.0/24")).is_ok());
        assert!(planned_subnet(None, c("10.3.1.0/24")).unwrap_err().contains("being created"));
        assert!(planned_subnet(None, c("10.2.1.0/25")).unwrap_err().contains("overlaps"));
        // A subnet of a network nobody planned here is not judged.
        assert!(planned_subnet(Some("vpc-9"), c("192.168.0.0/24")).is_ok());
        reset();
    }
}
