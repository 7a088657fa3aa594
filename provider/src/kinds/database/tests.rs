//! Planning databases without Terraform: tiers and their defaults, the catalog, the password
//! choice, and what each cloud refuses, all at once on their attributes.

use tfplug::Value;

use super::Database;
use crate::kinds::testing::Harness;

const BASE: [(&str, &str); 5] =
    [("cloud", "aws"), ("region", "us-east"), ("name", "shop-dev-db"), ("engine", "postgres"), ("size", "xs")];

fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut v = BASE.to_vec();
    v.extend_from_slice(extra);
    v
}

#[test]
fn tiers_set_the_defaults_and_each_stays_overridable() {
    let h = Harness::new();
    let dev = h.plan::<Database>(&with(&[("manage_password", "true")]));
    assert_eq!(dev.attr("tier").as_str(), Some("dev"));
    assert_eq!(dev.attr("instance_class").as_str(), Some("db.t4g.micro"));
    assert_eq!(dev.attr("version").as_str(), Some("16"));
    assert_eq!(dev.attr("high_availability").as_bool(), Some(false));
    assert_eq!(dev.attr("deletion_protection").as_bool(), Some(false));
    assert_eq!(dev.attr("backup_retention_days").as_number().and_then(|n| n.as_i64()), Some(7));
    // AWS restores to a point in time whenever it keeps backups.
    assert_eq!(dev.attr("point_in_time_recovery").as_bool(), Some(true));
    let prod =
        h.plan::<Database>(&with(&[("manage_password", "true"), ("tier", "prod"), ("deletion_protection", "false")]));
    assert_eq!(prod.attr("high_availability").as_bool(), Some(true));
    assert_eq!(prod.attr("backup_retention_days").as_number().and_then(|n| n.as_i64()), Some(30));
    assert_eq!(prod.attr("final_snapshot").as_bool(), Some(true));
    assert_eq!(prod.attr("deletion_protection").as_bool(), Some(false), "overridden");
}

#[test]
fn the_environment_tag_names_the_tier() {
    let h = Harness::with_client(crate::kinds::testing::client(
        [("environment".to_string(), "prod".to_string())].into_iter().collect(),
    ));
    let p = h.plan::<Database>(&with(&[("manage_password", "true")]));
    assert_eq!(p.attr("tier").as_str(), Some("prod"));
    assert_eq!(p.attr("deletion_protection").as_bool(), Some(true));
}

#[test]
fn a_password_is_chosen_exactly_once() {
    let h = Harness::new();
    let errors = h.plan_errors::<Database>(&BASE);
    assert!(errors.iter().any(|e| e.contains("password_wo") && e.contains("manage_password")), "{errors:?}");
    let errors = h.plan_errors::<Database>(&with(&[("password_wo", "s3cret-canary"), ("manage_password", "true")]));
    assert!(errors.iter().any(|e| e.contains("not both")), "{errors:?}");
    let errors = h.plan_errors::<Database>(&with(&[("password_wo", "s3cret-canary")]));
    assert!(errors.iter().any(|e| e.contains("password_wo_version")), "{errors:?}");
    assert!(
        h.plan_errors::<Database>(&with(&[("password_wo", "s3cret-canary"), ("password_wo_version", "1")])).is_empty()
    );
}

#[test]
fn every_problem_is_reported_on_its_attribute() {
    let h = Harness::new();
    let errors = h.plan_errors::<Database>(&[
        ("cloud", "aws"),
        ("region", "us-east"),
        ("name", "shop-dev-db"),
        ("engine", "postgres"),
        ("size", "huge"),
        ("version", "9"),
        ("manage_password", "true"),
        ("point_in_time_recovery", "false"),
    ]);
    for needle in ["Unknown size", "Unknown version", "point_in_time_recovery"] {
        assert!(errors.iter().any(|e| e.contains(needle)), "{needle} in {errors:?}");
    }
}

#[test]
fn shrinking_or_downgrading_replaces_growing_does_not() {
    let h = Harness::new();
    let planned = h.plan::<Database>(&with(&[("manage_password", "true"), ("storage_gb", "50")]));
    let (_, replace) = h.replan::<Database>(&planned, &[("size", "m"), ("storage_gb", "80")]);
    assert!(replace.is_empty(), "{replace:?}");
    let (_, replace) = h.replan::<Database>(&planned, &[("storage_gb", "30")]);
    assert_eq!(replace.len(), 1);
    let (p, replace) = h.replan::<Database>(&planned, &[("version", "15")]);
    assert_eq!(p.attr("version"), &Value::from("15"));
    assert_eq!(replace.len(), 1);
}

#[test]
fn azure_plans_the_three_kinds_from_the_catalog_and_refuses_what_it_lacks() {
    let h = Harness::new();
    let base = [
        ("cloud", "azure"),
        ("region", "us-east"),
        ("name", "shop-dev-db"),
        ("engine", "postgres"),
        ("size", "xs"),
        ("password_wo", "s3cret-canary"),
        ("password_wo_version", "1"),
    ];
    let p = h.plan::<Database>(&base);
    assert_eq!(p.attr("instance_class").as_str(), Some("Standard_B1ms"));
    assert_eq!(p.attr("storage_gb").as_number().and_then(|n| n.as_i64()), Some(32), "Azure PostgreSQL's smallest size");
    assert_eq!(p.attr("final_snapshot").as_bool(), Some(false));
    let with_azure = |extra: &[(&'static str, &'static str)]| {
        let mut v = base.to_vec();
        v.extend_from_slice(extra);
        h.plan_errors::<Database>(&v)
    };
    let errors = with_azure(&[("storage_gb", "40")]);
    assert!(errors.iter().any(|e| e.contains("use 64")), "{errors:?}");
    let errors = with_azure(&[("manage_password", "true")]);
    assert!(errors.iter().any(|e| e.contains("password_wo")), "no cloud-kept password on Azure: {errors:?}");
    let errors = with_azure(&[("tier", "prod")]);
    assert!(errors.iter().any(|e| e.contains("burstable")), "no HA on Standard_B sizes: {errors:?}");

    let c = h.plan::<crate::kinds::cache::Cache>(&[
        ("cloud", "azure"),
        ("region", "us-east"),
        ("name", "shop-dev-c"),
        ("size", "xs"),
    ]);
    assert_eq!(c.attr("node_type").as_str(), Some("Balanced_B0"));
    let k = h.plan::<crate::kinds::key::Key>(&[("cloud", "azure"), ("region", "us-east"), ("name", "shop-dev-k")]);
    assert_eq!(k.attr("rotation_days").as_number().and_then(|n| n.as_i64()), Some(365));
}

#[test]
fn gcp_plans_from_the_catalog_without_credentials() {
    let h = Harness::new();
    let p = h.plan::<Database>(&[
        ("cloud", "gcp"),
        ("region", "us-east"),
        ("name", "shop-dev-db"),
        ("engine", "postgres"),
        ("size", "xs"),
        ("password_wo", "s3cret-canary"),
        ("password_wo_version", "1"),
    ]);
    assert_eq!(p.attr("instance_class").as_str(), Some("db-custom-1-3840"));
    let errors = h.plan_errors::<Database>(&[
        ("cloud", "gcp"),
        ("region", "us-east"),
        ("name", "shop-dev-db"),
        ("engine", "postgres"),
        ("size", "xs"),
        ("manage_password", "true"),
    ]);
    assert!(errors.iter().any(|e| e.contains("manage_password")), "GCP keeps no password for us: {errors:?}");
}
