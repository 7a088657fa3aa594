//! Write-only secrets (database passwords, cache auth tokens): which Terraform versions can
//! send them. Terraform 1.11 brought write-only arguments; older ones refuse them.

/// True when Terraform `version` (e.g. `1.0.3`) predates write-only arguments.
pub fn before_write_only(version: &str) -> bool {
    let mut parts = version.trim_start_matches('v').split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) < (1, 11)
}

#[cfg(test)]
mod tests {
    #[test]
    fn write_only_came_with_1_11() {
        assert!(super::before_write_only("1.0.3"));
        assert!(super::before_write_only("1.10.5"));
        assert!(!super::before_write_only("1.11.0"));
        assert!(!super::before_write_only("1.15.5"));
    }
}
