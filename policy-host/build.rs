//! Compiles the policy server's gRPC contract in `proto/` with a vendored `protoc`, so a fresh
//! machine needs no protobuf toolchain (the same arrangement as tfplug's build script).

#[cfg(not(feature = "server"))]
fn main() {}

#[cfg(feature = "server")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("PROTOC").is_none() {
        // SAFETY: build scripts are single-threaded; nothing else reads the environment concurrently.
        unsafe { std::env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path()?) };
    }
    println!("cargo:rerun-if-changed=proto");
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_protos(&["proto/oppie/policy/v1/policy.proto"], &["proto"])?;
    Ok(())
}
