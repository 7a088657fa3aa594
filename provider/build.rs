//! Links the provider as a position-dependent executable, as Go links providers on Linux.
//!
//! Terraform starts several provider processes per command, and each pays the dynamic
//! loader's relocation pass before `main`: as a PIE this binary carries about 100,000
//! relative relocations over 2 MiB of `.data.rel.ro` (the AWS SDK's tables), which cost
//! more than the whole handshake. Linked at a fixed address they are resolved by the
//! linker instead. The code itself stays position-independent.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
