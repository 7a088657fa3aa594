//! Compiles the plugin protocol definitions in `proto/` with a vendored
//! `protoc`, so a fresh machine needs no protobuf toolchain.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("PROTOC").is_none() {
        // SAFETY: build scripts are single-threaded; nothing else reads the
        // environment concurrently.
        unsafe { std::env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path()?) };
    }
    println!("cargo:rerun-if-changed=proto");
    tonic_prost_build::configure()
        .build_client(true)
        .generate_default_stubs(true)
        .compile_protos(&["proto/tfplugin6.proto", "proto/tfplugin5.proto", "proto/plugin.proto"], &["proto"])?;
    Ok(())
}
