//! Bad input fails at `terraform validate` or plan, on the attribute at fault, before any
//! API call (a proxy in front of moto counts the calls).

use oppie_e2e::aws::{AwsTest, aws_test};

fn net(cidr: &str) -> String {
    format!("resource \"oppie_network\" \"main\" {{\n  name = \"shop-dev-net\"\n  cidr = \"{cidr}\"\n}}\n")
}

fn subnet(name: &str, cidr: &str) -> String {
    format!(
        "resource \"oppie_subnet\" \"{name}\" {{\n  network_id = oppie_network.main.id\n  cidr       = \"{cidr}\"\n}}\n"
    )
}

fn instance(size: &str, image: &str) -> String {
    format!(
        "resource \"oppie_instance\" \"api\" {{\n  name      = \"api\"\n  size      = \"{size}\"\n  image     = \"{image}\"\n  subnet_id = \"subnet-0123456789abcdef0\"\n}}\n"
    )
}

fn firewall(ports: &str, protocol: &str) -> String {
    format!(
        "resource \"oppie_firewall\" \"web\" {{\n  network_id = \"vpc-0123456789abcdef0\"\n  name = \"web\"\n  ingress {{\n    protocol = \"{protocol}\"\n    ports    = \"{ports}\"\n    sources  = [\"0.0.0.0/0\"]\n  }}\n}}\n"
    )
}

/// Runs `command` on `body` and checks it fails with each of `expected`, having called nothing.
fn rejects(aws: &AwsTest, command: &str, body: &str, expected: &[&str]) {
    let proxy = aws.fault_proxy(&[]);
    let tf = aws.terraform();
    tf.config(&format!("{}{body}", AwsTest::provider(&proxy.endpoint())));
    tf.init();
    let out = tf.run(&[command]);
    assert_eq!(out.code, 1, "{command} should fail:\n{}", out.all());
    // Terraform wraps long messages: compare with all whitespace collapsed.
    let flat = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = out.all();
    for e in expected {
        assert!(flat(&text).contains(&flat(e)), "expected {e:?} in:\n{text}");
    }
    assert!(proxy.calls().is_empty(), "no API call before the error: {:?}", proxy.calls());
}

#[test]
fn malformed_input_fails_at_validate() {
    let aws = aws_test();
    rejects(
        &aws,
        "validate",
        &net("10.2.0.1/16"),
        &["Invalid value for cidr", "has host bits set; did you mean \"10.2.0.0/16\"?", "cidr = \"10.2.0.1/16\""],
    );
    rejects(&aws, "validate", &net("10.2.0.0"), &["is not a CIDR block"]);
    rejects(&aws, "validate", &firewall("70000", "tcp"), &["Invalid value for ports", "port 70000 is out of bounds"]);
    rejects(&aws, "validate", &firewall("90-80", "tcp"), &["runs backwards"]);
    rejects(&aws, "validate", &firewall("8", "icmp"), &["Invalid ingress rule", "protocol \"icmp\" has no ports"]);
    rejects(
        &aws,
        "validate",
        "resource \"oppie_bucket\" \"b\" {\n  name = \"Shop_Media\"\n}\n",
        &["Invalid value for name", "use lower-case letters"],
    );
    rejects(
        &aws,
        "validate",
        "resource \"oppie_bucket\" \"b\" {\n  name = \"shop-media\"\n  lifecycle_rule {\n    transition_days = 30\n  }\n}\n",
        &["Missing storage class", "transition_days needs storage_class"],
    );
}

#[test]
fn cloud_specific_input_fails_at_plan() {
    let aws = aws_test();
    rejects(
        &aws,
        "plan",
        &instance("huge", "ami-0123456789abcdef0"),
        &["Unknown size", "\"huge\" is not an instance size on aws", "size      = \"huge\""],
    );
    rejects(&aws, "plan", &instance("s", "windows-95"), &["Unknown image", "ubuntu-22.04"]);
    rejects(
        &aws,
        "plan",
        "resource \"oppie_network\" \"main\" {\n  name   = \"n\"\n  cidr   = \"10.2.0.0/16\"\n  region = \"mars-1\"\n}\n",
        &["Unknown region", "\"mars-1\" is not a region on aws"],
    );
    rejects(&aws, "plan", &net("10.0.0.0/8"), &["AWS VPCs take a /16 to /28 range"]);
    rejects(
        &aws,
        "plan",
        &format!("{}{}", net("10.2.0.0/16"), subnet("a", "10.3.1.0/24")),
        &[
            "Subnet range does not fit",
            "10.3.1.0/24 is not inside the range of the network being created (10.2.0.0/16)",
        ],
    );
    rejects(
        &aws,
        "plan",
        &format!("{}{}{}", net("10.2.0.0/16"), subnet("a", "10.2.1.0/24"), subnet("b", "10.2.1.128/25")),
        &["Subnet range does not fit", "overlaps subnet"],
    );
    rejects(
        &aws,
        "plan",
        "resource \"oppie_subnet\" \"z\" {\n  network_id = \"vpc-0123456789abcdef0\"\n  cidr       = \"10.2.1.0/24\"\n  zone       = \"q\"\n}\n",
        &["Unknown zone", "us-east-1 has no zone \"q\": use 1 to 6", "us-east-1a, us-east-1b"],
    );
    // Every problem of a resource in one plan, each on its attribute.
    rejects(
        &aws,
        "plan",
        &instance("huge", "windows-95"),
        &["Unknown size", "size      = \"huge\"", "Unknown image", "image     = \"windows-95\""],
    );
    // Provider-level problems point at the provider block, before any resource.
    let body = format!("{}{}", "", net("10.2.0.0/16"));
    let proxy = aws.fault_proxy(&[]);
    let tf = aws.terraform();
    tf.config(&format!(
        "{}{body}",
        AwsTest::provider(&proxy.endpoint()).replace("default_region = \"us-east\"", "default_region = \"mars-north\"")
    ));
    tf.init();
    let out = tf.run(&["plan"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let text = out.all();
    assert!(text.contains("Unknown default region") && text.contains("in provider \"oppie\""), "{text}");
    assert!(text.contains("default_region = \"mars-north\""), "{text}");
    tf.config(&format!("{}{body}", AwsTest::provider("ftp//nope")));
    let out = tf.run(&["validate"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.all().contains("Invalid endpoint") && out.all().contains("ftp//nope"), "{}", out.all());
}

/// The examples in docs/resources and examples/aws-quickstart pass `terraform validate`.
#[test]
fn documented_examples_are_valid() {
    let root = oppie_e2e::terraform::repo_root();
    let docs = root.join("docs/resources");
    let mut body = String::new();
    for page in ["network", "subnet", "firewall", "instance", "bucket", "environment", "key", "database", "cache"] {
        let text = std::fs::read_to_string(docs.join(format!("{page}.md"))).expect("docs page");
        let example = text.split("```terraform\n").nth(1).and_then(|t| t.split("```").next()).expect("example block");
        body.push_str(example);
    }
    let tf = oppie_e2e::Terraform::new(oppie_e2e::Version::Latest);
    tf.config(&body);
    tf.write("cloud-init.yaml", "#cloud-config\n");
    tf.init();
    tf.ok(&["validate"]);

    let quickstart = oppie_e2e::Terraform::new(oppie_e2e::Version::Latest);
    for file in ["main.tf", "cloud-init.yaml"] {
        let text = std::fs::read_to_string(root.join("examples/aws-quickstart").join(file)).expect("quickstart");
        quickstart.write(file, &text);
    }
    quickstart.init();
    quickstart.ok(&["validate"]);
}
