//! The go-plugin handshake: the magic cookie, protocol negotiation, the handshake line
//! on stdout, and the reattach JSON of debug mode.

use std::path::Path;

use base64::Engine as _;

/// Environment variable Terraform sets to prove it launched the plugin.
pub(crate) const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// Its value, the same for Terraform and OpenTofu.
pub(crate) const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// Picks the protocol major from `PLUGIN_PROTOCOL_VERSIONS` (an unordered list):
/// 6 when offered, else 5.
pub(crate) fn negotiate(offered: Option<&str>) -> Result<u8, String> {
    let Some(offered) = offered else {
        // Cores older than go-plugin's version negotiation only speak 5.
        return Ok(5);
    };
    let versions: Vec<&str> = offered.split(',').map(str::trim).collect();
    if versions.contains(&"6") {
        Ok(6)
    } else if versions.contains(&"5") {
        Ok(5)
    } else {
        Err(format!(
            "This provider speaks plugin protocol 5 and 6, but the Terraform core offered {offered:?}. Use Terraform 0.12 or later, or OpenTofu."
        ))
    }
}

/// The handshake line: `1|<protocol>|unix|<socket>|grpc|<cert>`. The certificate is
/// standard base64 without padding, as Go's `RawStdEncoding` reads it.
pub(crate) fn line(protocol: u8, socket: &Path, cert_der: Option<&[u8]>) -> String {
    let cert = cert_der.map(|c| base64::engine::general_purpose::STANDARD_NO_PAD.encode(c)).unwrap_or_default();
    format!("1|{protocol}|unix|{}|grpc|{cert}", socket.display())
}

/// The `TF_REATTACH_PROVIDERS` value for a debug server.
pub(crate) fn reattach_json(address: &str, protocol: u8, socket: &Path) -> String {
    serde_json::json!({
        address: {
            "Protocol": "grpc",
            "ProtocolVersion": protocol,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": {"Network": "unix", "String": socket.display().to_string()}
        }
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_treats_the_offer_as_a_set() {
        assert_eq!(negotiate(Some("5,6")), Ok(6));
        assert_eq!(negotiate(Some("6,5")), Ok(6));
        assert_eq!(negotiate(Some("5")), Ok(5));
        assert_eq!(negotiate(None), Ok(5));
        assert!(negotiate(Some("4")).is_err());
    }

    #[test]
    fn handshake_line_has_unpadded_cert() {
        let l = line(6, Path::new("/tmp/plugin1"), Some(&[1, 2, 3, 4]));
        assert_eq!(l, "1|6|unix|/tmp/plugin1|grpc|AQIDBA");
        assert_eq!(line(5, Path::new("/tmp/p"), None), "1|5|unix|/tmp/p|grpc|");
    }

    #[test]
    fn reattach_json_shape() {
        let j: serde_json::Value =
            serde_json::from_str(&reattach_json("registry.terraform.io/oppie/oppie", 6, Path::new("/tmp/s"))).unwrap();
        let e = &j["registry.terraform.io/oppie/oppie"];
        assert_eq!(e["ProtocolVersion"], 6);
        assert_eq!(e["Addr"]["Network"], "unix");
        assert_eq!(e["Test"], true);
    }
}
