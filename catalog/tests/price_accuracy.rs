//! The rate card against prices read independently of it: (cloud, table, key, region) prices in
//! `reference_prices.json` (hourly instance prices, and per GB-month disk prices), each from a
//! different page or snapshot than the card's own figure, must agree with the card within the
//! file's tolerance (±10%).

use std::collections::BTreeSet;

use oppie_catalog::Cloud;
use oppie_catalog::pricing::card;
use serde::Deserialize;

#[derive(Deserialize)]
struct References {
    tolerance: f64,
    prices: Vec<Reference>,
}

#[derive(Deserialize)]
struct Reference {
    cloud: Cloud,
    /// The card's table (`instances` unless given).
    #[serde(default = "instances")]
    table: String,
    /// The key in the table: the machine type, the disk type.
    #[serde(alias = "size")]
    key: String,
    region: String,
    /// USD per the table's unit (per hour for instances, per GB-month for disks).
    #[serde(alias = "usd_per_hour")]
    usd: f64,
    date: String,
    source: String,
}

fn instances() -> String {
    "instances".into()
}

fn references() -> References {
    serde_json::from_str(include_str!("reference_prices.json")).expect("reference_prices.json parses")
}

#[test]
fn card_is_within_tolerance_of_every_reference_price() {
    let refs = references();
    assert!((refs.tolerance - 0.10).abs() < 1e-12, "the issue asks for ±10%");
    let mut failures = Vec::new();
    for r in &refs.prices {
        match card().rate(r.cloud, &r.region, &r.table, &r.key) {
            Ok(figure) => {
                let deviation = (oppie_catalog::pricing::money::to_f64(figure.usd) - r.usd).abs() / r.usd;
                println!(
                    "{:<6} {:<10} {:<16} {:<16} card {:>8.4}  reference {:>8.4}  {:>5.1}%",
                    r.cloud,
                    r.table,
                    r.key,
                    r.region,
                    figure.usd,
                    r.usd,
                    deviation * 100.0
                );
                if deviation > refs.tolerance {
                    failures.push(format!(
                        "{} {} {} {}: card {} vs reference {} ({:.1}% off; {})",
                        r.cloud,
                        r.table,
                        r.key,
                        r.region,
                        figure.usd,
                        r.usd,
                        deviation * 100.0,
                        r.source
                    ));
                }
            }
            Err(e) => failures.push(format!("{} {} {}: {e}", r.cloud, r.key, r.region)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn references_are_distinct_sourced_and_independent_of_the_card() {
    let refs = references();
    assert!(refs.prices.len() >= 21, "{}", refs.prices.len());
    let keys: BTreeSet<_> =
        refs.prices.iter().map(|r| (r.cloud, r.table.as_str(), r.key.as_str(), r.region.as_str())).collect();
    assert_eq!(keys.len(), refs.prices.len(), "entries must be distinct (cloud, table, key, region)");
    // The Standard SSD rate added with the one price model (the Azure OS disk) has its reference.
    assert!(keys.contains(&(Cloud::Azure, "disks", "StandardSSD_LRS", "eastus")), "no reference for it");
    for cloud in Cloud::ALL {
        assert!(refs.prices.iter().filter(|r| r.cloud == cloud).count() >= 5, "{cloud} has too few references");
    }
    for r in &refs.prices {
        assert!(r.source.starts_with("https://"), "{}: {}", r.key, r.source);
        assert!(r.date.len() == 10 && r.date.as_bytes()[4] == b'-', "{}: date {}", r.key, r.date);
        assert!(r.usd > 0.0 && r.usd.is_finite(), "{}: {}", r.key, r.usd);
        // Independence: the reference must not be the very page or snapshot the card read.
        let figure = card().rate(r.cloud, &r.region, &r.table, &r.key).expect("the card prices every reference");
        assert_ne!(Some(&r.source), figure.via.as_ref(), "{} {}: same snapshot as the card", r.key, r.region);
        assert_ne!(r.source, figure.source, "{} {}: same page as the card", r.key, r.region);
    }
}
