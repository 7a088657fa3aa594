//! The history store's semantics, the same test bodies on both backends: embedded SQLite and a
//! real PostgreSQL server (a throwaway cluster, see `common/postgres.rs`). Items appear, stay
//! open, resolve with their time to resolve, come back as new occurrences; two scanners writing
//! one store at once lose and double nothing; the CLI records to and reads from either; a store
//! URL's password never shows.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::postgres::{Cluster, PASSWORD};
use oppie::drift::item::{DriftItem, ItemKind, PathStep, Resource};
use oppie::history::History;
use serde_json::json;
use time::OffsetDateTime;
use time::macros::datetime;

fn item(address: &str, attr: &str) -> DriftItem {
    let r = Resource {
        address: address.into(),
        module: String::new(),
        mode: "managed".into(),
        resource_type: "t".into(),
        name: "n".into(),
        provider: String::new(),
        deleted: false,
        before: json!({}),
        after: json!({}),
    };
    DriftItem::new(&r, ItemKind::Changed, vec![PathStep::Key(attr.into())], json!("before"), json!("after"))
}

/// Appeared, still open, resolved with the time to resolve, per source; drift that comes back is
/// a new occurrence.
fn semantics(h: &mut History) {
    let d1 = h.record("dev", &[item("a.x", "tags"), item("b.y", "ingress")], datetime!(2026-01-01 10:00 UTC)).unwrap();
    assert_eq!(d1.appeared, vec!["a.x tags changed".to_string(), "b.y ingress changed".to_string()]);
    assert!(d1.resolved.is_empty());
    let d2 =
        h.record("dev", &[item("b.y", "ingress"), item("b.y", "ingress")], datetime!(2026-01-01 11:30 UTC)).unwrap();
    assert_eq!((d2.appeared.len(), d2.resolved.clone()), (0, vec!["a.x tags changed".to_string()]));
    assert!(d2.scan > d1.scan);
    // Another source's scan resolves nothing here.
    let other = h.record("prod", &[], datetime!(2026-01-01 12:00 UTC)).unwrap();
    assert!(other.resolved.is_empty());
    let d3 = h.record("dev", &[], datetime!(2026-01-02 12:00 UTC)).unwrap();
    assert_eq!(d3.resolved, vec!["b.y ingress changed".to_string()]);
    let all = h.occurrences(Some("dev")).unwrap();
    assert_eq!(all.len(), 2);
    let tags = all.iter().find(|o| o.address == "a.x").unwrap();
    assert_eq!(tags.seconds_to_resolve, Some(5400));
    assert_eq!(tags.resolved_at.as_deref(), Some("2026-01-01T11:30:00Z"));
    let ingress = all.iter().find(|o| o.address == "b.y").unwrap();
    assert_eq!((ingress.seconds_to_resolve, ingress.last_seen_at.as_str()), (Some(26 * 3600), "2026-01-01T11:30:00Z"));
    assert_eq!(h.scan_count().unwrap(), 4);
    let d4 = h.record("dev", &[item("a.x", "tags")], datetime!(2026-01-03 00:00 UTC)).unwrap();
    assert_eq!(d4.appeared, vec!["a.x tags changed".to_string()]);
    let dev = h.occurrences(Some("dev")).unwrap();
    assert_eq!(dev.len(), 3);
    assert_eq!((dev[0].address.as_str(), dev[0].resolved_at.as_deref()), ("a.x", None), "newest first");
    assert_eq!(h.occurrences(None).unwrap().len(), 3, "prod has none");
    assert!(h.occurrences(Some("nowhere")).unwrap().is_empty());
}

/// Two scanners (own connections, own threads) record scans of the same sources at once: every
/// scan is recorded, no item is open twice, and a last scan leaves exactly its items open.
fn concurrent_writers(open: &(dyn Fn() -> History + Sync)) {
    const SCANS: usize = 25;
    std::thread::scope(|s| {
        for scanner in 0..2 {
            s.spawn(move || {
                let mut h = open();
                for n in 0..SCANS {
                    let items = match (scanner + n) % 3 {
                        0 => vec![item("a.x", "tags"), item("b.y", "ingress")],
                        1 => vec![item("b.y", "ingress"), item("c.z", "versioning")],
                        _ => vec![],
                    };
                    let source = if n % 2 == 0 { "shared" } else { "other" };
                    h.record(source, &items, OffsetDateTime::now_utc())
                        .unwrap_or_else(|e| panic!("scanner {scanner}, scan {n}: {e}"));
                }
            });
        }
    });
    let mut h = open();
    assert_eq!(h.scan_count().unwrap(), 2 * SCANS as i64);
    let mut open_per_key: BTreeMap<(String, String), usize> = BTreeMap::new();
    for o in h.occurrences(None).unwrap() {
        assert!(o.appeared_at <= o.last_seen_at, "{o:?}");
        if o.resolved_at.is_none() {
            *open_per_key.entry((o.source.clone(), format!("{} {}", o.address, o.path))).or_default() += 1;
        }
    }
    assert!(open_per_key.values().all(|&n| n == 1), "an item is open twice: {open_per_key:?}");
    h.record("shared", &[item("c.z", "versioning")], OffsetDateTime::now_utc()).unwrap();
    let open_now: Vec<String> = h
        .occurrences(Some("shared"))
        .unwrap()
        .into_iter()
        .filter(|o| o.resolved_at.is_none())
        .map(|o| o.address)
        .collect();
    assert_eq!(open_now, vec!["c.z".to_string()]);
}

fn oppie(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_oppie"))
        .args(args)
        .current_dir(dir)
        .env_remove("OPPIE_DRIFT_STORE")
        .output()
        .expect("run oppie");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// `oppie drift --store URL` then `oppie drift history --store URL`: the scan's items are there,
/// then resolved by a scan without drift.
fn cli_round_trip(store: &str) {
    let work = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let plan = fixtures.join("drift-plan.json");
    let (code, _, err) =
        oppie(work.path(), &["drift", "--plan", plan.to_str().unwrap(), "--no-policy", "--store", store]);
    assert_eq!(code, Some(1), "{err}");
    let (code, out, err) = oppie(work.path(), &["drift", "history", "--format", "json", "--store", store]);
    assert_eq!(code, Some(0), "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = doc.as_array().unwrap();
    assert!(rows.iter().any(|o| o["address"] == "oppie_firewall.web" && o["resolved_at"].is_null()), "{out}");
    // The same source without drift: everything resolves. (history names a plan file's source by
    // its path, so a copy of the no-drift plan under the same name stands in for a later scan.)
    let later = work.path().join("plan.json");
    std::fs::copy(&plan, &later).unwrap();
    oppie(work.path(), &["drift", "--plan", "plan.json", "--no-policy", "--store", store]);
    std::fs::copy(fixtures.join("no-drift-plan.json"), &later).unwrap();
    let (code, _, err) = oppie(work.path(), &["drift", "--plan", "plan.json", "--no-policy", "--store", store]);
    assert_eq!(code, Some(0), "{err}");
    let (_, out, _) = oppie(work.path(), &["drift", "history", "--store", store, "--source", "plan.json"]);
    assert!(out.contains("resolved") && !out.contains("open (last seen"), "{out}");
}

#[test]
fn sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    semantics(&mut History::open(&dir.path().join("one.db")).unwrap());
    let shared = dir.path().join("shared.db");
    concurrent_writers(&|| History::open(&shared).unwrap());
    cli_round_trip(dir.path().join("cli.db").to_str().unwrap());
}

#[test]
fn postgres_store() {
    let Some(cluster) = Cluster::start() else { return };
    // Over TCP with the password (SCRAM), and through the socket directory.
    semantics(&mut History::open_store(&cluster.database("semantics")).unwrap());
    let socket = {
        cluster.database("socket");
        cluster.socket_url("socket")
    };
    semantics(&mut History::open_store(&socket).unwrap());
    let shared = cluster.database("concurrent");
    concurrent_writers(&|| History::open_store(&shared).unwrap());
    let cli = cluster.database("cli");
    cli_round_trip(&cli);

    // A bad password: an error that names the store with the password masked.
    let wrong = cli.replace(PASSWORD, "not-the-password");
    let Err(e) = History::open_store(&wrong) else { panic!("a wrong password connected") };
    let text = e.to_string();
    assert!(text.contains("oppie:***@127.0.0.1") && text.contains("password"), "{text}");
    assert!(!text.contains("not-the-password"), "{text}");
    let work = tempfile::tempdir().unwrap();
    let (code, out, err) = oppie(work.path(), &["drift", "history", "--store", &wrong]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(err.contains("***") && !err.contains("not-the-password") && !out.contains("not-the-password"), "{err}");
    // A network host is refused before connecting, without the password.
    let (code, _, err) = oppie(
        work.path(),
        &["drift", "history", "--store", &format!("postgres://oppie:{PASSWORD}@db.example.com/drift")],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no TLS") && !err.contains(PASSWORD), "{err}");
    drop(cluster);
}
