//! The fake Resource Manager itself: requests the published API description does not allow
//! are refused (and recorded), so a provider bug shows as a failed test, not a green one.

use oppie_e2e::aws::http;
use oppie_e2e::azure::{azure_test, group_id};

#[test]
fn the_fake_refuses_what_the_api_description_does_not_allow() {
    let az = azure_test();
    let rg = group_id("checks-rg");
    let vnet = format!("{rg}/providers/Microsoft.Network/virtualNetworks/v");
    let put = |path: &str, body: &str| http(az.arm, "PUT", path, body).expect("fake answers");
    let (status, body) = put(&format!("{rg}?api-version=2025-04-01"), r#"{"location": "westeurope"}"#);
    assert_eq!(status, 201, "{body}");

    let refused = [
        (format!("{vnet}?api-version=2019-01-01"), r#"{"location": "westeurope"}"#, "takes api-version 2026-03-01"),
        (
            format!("{vnet}?api-version=2026-03-01"),
            r#"{"location": "westeurope", "colour": "red"}"#,
            "has no property 'colour'",
        ),
        (
            format!("{vnet}?api-version=2026-03-01"),
            r#"{"location": "westeurope", "properties": {"provisioningState": "Succeeded"}}"#,
            "read-only",
        ),
        (
            format!("{vnet}?api-version=2026-03-01"),
            r#"{"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": "10.0.0.0/16"}}}"#,
            "expected an array",
        ),
        (format!("{rg}/providers/Microsoft.Network/virtualRouters2/x?api-version=2026-03-01"), "{}", "no operation"),
    ];
    for (path, body, why) in &refused {
        let (status, text) = put(path, body);
        assert_eq!(status, 400, "{path} {body}: {text}");
        assert!(text.contains("FakeRejected") && text.contains(why), "{why}: {text}");
    }
    let (status, text) = http(az.arm, "PATCH", &format!("{rg}?api-version=2025-04-01"), "{}").expect("fake");
    assert_eq!(status, 400, "resource groups take no PATCH in the description: {text}");

    let ok = r#"{"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}"#;
    let (status, text) = put(&format!("{vnet}?api-version=2026-03-01"), ok);
    assert_eq!(status, 201, "{text}");
    assert!(text.contains("\"provisioningState\": \"Creating\""), "{text}");
    let (_, rejections) = http(az.arm, "GET", "/_fake/rejections", "").expect("fake");
    let rejections: serde_json::Value = serde_json::from_str(&rejections).expect("json");
    assert_eq!(rejections.as_array().map(Vec::len), Some(refused.len() + 1), "every refusal is recorded");
}
