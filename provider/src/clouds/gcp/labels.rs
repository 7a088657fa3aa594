//! Tags become GCP labels, which allow less than tags elsewhere: keys and values of lower-case
//! letters, digits, '_' and '-' (keys start with a letter), at most 63 characters. Tags that
//! do not fit are refused at plan rather than rewritten, so nothing drifts.

use crate::clouds::Tags;

/// The first tag that cannot be a GCP label, with the reason.
pub fn check_labels(tags: &Tags) -> Result<(), String> {
    if tags.len() > 64 {
        return Err(format!("GCP allows 64 labels; there are {}", tags.len()));
    }
    let ok = |s: &str| s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    for (k, v) in tags {
        if k.is_empty() || k.len() > 63 || !ok(k) || !k.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(format!(
                "tag key {k:?} cannot be a GCP label key: use 1 to 63 lower-case letters, digits, '_' or '-', starting with a letter"
            ));
        }
        if v.len() > 63 || !ok(v) {
            return Err(format!(
                "tag {k:?} = {v:?}: GCP label values take up to 63 lower-case letters, digits, '_' or '-'"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_gcp_rules() {
        let t = |k: &str, v: &str| Tags::from([(k.to_string(), v.to_string())]);
        assert!(check_labels(&t("cost-center", "cc_1")).is_ok());
        assert!(check_labels(&t("Team", "web")).unwrap_err().contains("\"Team\""));
        assert!(check_labels(&t("team", "Web")).unwrap_err().contains("label values"));
        assert!(check_labels(&t("1team", "web")).is_err());
        assert!(check_labels(&t("team", "")).is_ok());
    }
}
