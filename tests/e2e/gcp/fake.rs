//! The Compute fake itself: it must refuse what Google's API description does not have, or
//! the other GCP tests would prove nothing.

use oppie_e2e::gcp::gcp_test;

#[test]
fn the_fake_refuses_requests_outside_the_api_description() {
    let gcp = gcp_test();
    let good = r#"{"name": "n1", "autoCreateSubnetworks": false}"#;
    let cases = [
        ("POST", "global/networkz", good, "no method"),
        ("POST", "global/networks?requestID=x", good, "'requestID' is not a parameter"),
        (
            "POST",
            "global/networks",
            r#"{"name": "n1", "autoCreateSubnets": false}"#,
            "body.autoCreateSubnets: no such field",
        ),
        ("POST", "global/networks", r#"{"name": "n1", "autoCreateSubnetworks": "no"}"#, "expected a boolean"),
        ("POST", "global/networks", r#"{"name": "n1", "routingConfig": {"routingMode": "LOCAL"}}"#, "is not one of"),
        ("POST", "global/networks/n1/addPeering", r#"{"name": 3}"#, "expected a string"),
    ];
    for (method, path, body, problem) in cases {
        let (status, answer) = gcp.compute(method, path, body);
        assert_eq!(status, 400, "{method} {path} {body}: {answer}");
        let log = gcp.take_violations();
        assert!(log.contains(problem), "{method} {path} {body}: expected {problem:?} in the log:\n{log}");
    }
    let (status, op) = gcp.compute("POST", "global/networks?requestId=r-1", good);
    assert_eq!(status, 200, "{op}");
    assert_eq!(op["kind"], "compute#operation");
    assert_eq!(op["status"], "PENDING");
    let path = format!("global/operations/{}", op["name"].as_str().unwrap_or_default());
    let statuses: Vec<String> =
        (0..3).map(|_| gcp.compute("GET", &path, "").1["status"].as_str().unwrap_or_default().to_string()).collect();
    assert_eq!(statuses, ["RUNNING", "RUNNING", "DONE"]);
    let (_, again) = gcp.compute("POST", "global/networks?requestId=r-1", good);
    assert_eq!(again["name"], op["name"], "a repeated requestId gets the first operation");
    assert_eq!(gcp.take_violations(), "");
}
