//! Compute Engine resource names (networks, firewall rules, VMs) follow RFC 1035: a lower-case
//! letter, then lower-case letters, digits or '-', not ending in '-'. Checked at plan.

/// Longest name a firewall may have: its rules are named `<name>-base` and `<name>-i<8 hex>`.
pub const FIREWALL_NAME_MAX: usize = 53;

/// Longest Compute Engine name.
pub const NAME_MAX: usize = 63;

/// The problem with `name` as a Compute Engine name of at most `max` characters.
pub fn check_name(name: &str, max: usize) -> Result<(), String> {
    let ok_chars = name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if name.is_empty()
        || name.len() > max
        || !ok_chars
        || !name.starts_with(|c: char| c.is_ascii_lowercase())
        || name.ends_with('-')
    {
        return Err(format!(
            "{name:?} cannot be a GCP name: use 1 to {max} lower-case letters, digits or '-', starting with a letter and not ending with '-'"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_rfc_1035() {
        assert!(check_name("shop-dev-net", NAME_MAX).is_ok());
        assert!(check_name("Shop", NAME_MAX).is_err());
        assert!(check_name("1net", NAME_MAX).is_err());
        assert!(check_name("net-", NAME_MAX).is_err());
        assert!(check_name("net_1", NAME_MAX).is_err());
        assert!(check_name(&"n".repeat(54), FIREWALL_NAME_MAX).unwrap_err().contains("1 to 53"));
    }
}
