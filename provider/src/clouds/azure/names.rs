//! Azure names Oppie derives: storage accounts (3-24 lower-case letters and digits, globally
//! unique) from bucket names, default resource groups, and subnet names that carry the zone.

/// The storage account of a bucket: the bucket name without '-' and '.'; names longer than
/// 24 characters (or shorter than 3) keep their first 16 and add 8 hex digits of a hash of
/// the whole name, so different names stay apart. Deterministic: the same bucket always maps to the same
/// account.
pub fn storage_account_name(bucket: &str) -> String {
    let plain: String = bucket.chars().filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit()).collect();
    if (3..=24).contains(&plain.len()) {
        return plain;
    }
    // Too long, or too short once '-' and '.' are gone ("a-b"): a hash keeps names apart.
    let h = bucket.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    format!("{}{h:08x}", &plain[..plain.len().min(16)])
}

/// The resource group a network or bucket gets when `resource_group` is not set.
pub fn default_resource_group(name: &str) -> String {
    format!("{name}-rg")
}

/// The subnet name: `snet-<range with dashes>-z<zone>`; the zone places machines.
pub fn subnet_name(cidr: &str, zone: &str) -> String {
    format!("snet-{}-z{zone}", cidr.replace(['.', '/'], "-"))
}

/// The zone a subnet name carries.
pub fn subnet_zone(name: &str) -> Option<String> {
    name.rsplit_once("-z").map(|(_, z)| z.to_string()).filter(|z| !z.is_empty() && z.len() <= 2)
}

/// The Azure zone number a zone suffix stands for: letters count from "a" = "1"; digits
/// stay as they are.
pub fn zone_number(zone: &str) -> String {
    match zone.as_bytes() {
        [c @ b'a'..=b'z'] => (c - b'a' + 1).to_string(),
        _ => zone.to_string(),
    }
}

/// Part `key` of an ARM id (`.../resourceGroups/<rg>/...`), compared without case.
pub fn id_part<'a>(id: &'a str, key: &str) -> Option<&'a str> {
    let mut it = id.split('/');
    while let Some(p) = it.next() {
        if p.eq_ignore_ascii_case(key) {
            return it.next();
        }
    }
    None
}

/// The last segment of an ARM id.
pub fn last(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names_are_valid_and_stable() {
        assert_eq!(storage_account_name("shop-dev-media"), "shopdevmedia");
        let long = storage_account_name("shop-production-media-assets-eu");
        assert_eq!(long.len(), 24);
        assert_eq!(long, storage_account_name("shop-production-media-assets-eu"));
        assert_ne!(long, storage_account_name("shop-production-media-assets-us"));
        assert!(long.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        assert_eq!(storage_account_name("a-b").len(), 10, "too short alone: padded with the hash");
    }

    proptest::proptest! {
        #[test]
        fn every_bucket_name_gives_a_valid_account_name(bucket in "[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]") {
            let a = storage_account_name(&bucket);
            proptest::prop_assert!((3..=24).contains(&a.len()), "{a}");
            proptest::prop_assert!(a.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
            proptest::prop_assert_eq!(a, storage_account_name(&bucket));
        }

        #[test]
        fn ids_never_panic(id in ".{0,200}") {
            let _ = (id_part(&id, "resourceGroups"), last(&id), subnet_zone(&id), zone_number(&id));
        }
    }

    #[test]
    fn ids_and_subnet_names() {
        let id = "/subscriptions/s/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/net/subnets/snet-10-2-1-0-24-z1";
        assert_eq!(id_part(id, "resourcegroups"), Some("rg1"));
        assert_eq!(id_part(id, "virtualNetworks"), Some("net"));
        assert_eq!(subnet_name("10.2.1.0/24", "1"), "snet-10-2-1-0-24-z1");
        assert_eq!(subnet_zone(last(id)).as_deref(), Some("1"));
        assert_eq!(zone_number("a"), "1");
        assert_eq!(zone_number("c"), "3");
        assert_eq!(zone_number("2"), "2");
    }
}
