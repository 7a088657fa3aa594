//! Builds an OPA WASM bundle from a WAT policy module, the way `opa build -t wasm` lays one out
//! (`/policy.wasm`, `/data.json`, `/.manifest` with `wasm` entrypoints), using the library's
//! bundle builder. The benchmark uses it to time warm WASM evaluations.
//!
//! `cargo run --example wasm_bundle -- MODULE.wat OUT.tar.gz`

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(wat_path), Some(out)) = (args.next(), args.next()) else {
        return Err("usage: wasm_bundle MODULE.wat OUT.tar.gz".into());
    };
    let binary = wat::parse_file(&wat_path)?;
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("policy.wasm"), binary)?;
    std::fs::write(dir.path().join("data.json"), r#"{"plan": {}}"#)?;
    let manifest = serde_json::json!({
        "wasm": [
            {"entrypoint": "plan/deny", "module": "/policy.wasm", "annotations": [{
                "scope": "rule",
                "title": "Frozen environments",
                "custom": {"id": "WASM-FREEZE-1", "severity": "high", "enforcement": "hard-mandatory"}
            }]},
            {"entrypoint": "plan/warn", "module": "/policy.wasm"}
        ]
    });
    std::fs::write(dir.path().join(".manifest"), serde_json::to_vec_pretty(&manifest)?)?;
    let out = PathBuf::from(out);
    let manifest = oppie_policy::bundle::build(dir.path(), &out, &Default::default())?;
    println!("wrote {} (revision {})", out.display(), manifest.revision);
    Ok(())
}
