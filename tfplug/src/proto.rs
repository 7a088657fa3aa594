//! Generated protocol types: `tfplugin6`, `tfplugin5` and go-plugin's `plugin` package.
//! Built from the `.proto` files in `proto/` by `build.rs`.

#![allow(missing_docs, clippy::all, clippy::pedantic)]

/// Terraform plugin protocol 6 (messages shared with protocol 5).
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// Terraform plugin protocol 5: service names and the messages that differ from 6.
pub mod tfplugin5 {
    tonic::include_proto!("tfplugin5");
}

/// go-plugin's controller, stdio and broker services.
pub mod plugin {
    tonic::include_proto!("plugin");
}
