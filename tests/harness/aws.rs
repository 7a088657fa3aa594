//! AWS through moto: one moto server per test process (started on first use, gone when the
//! process ends), a lock that runs AWS tests one at a time with moto reset before each,
//! SDK clients for out-of-band changes, and a fault-injecting proxy for the retry tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};

pub use crate::proxy::FaultProxy;
use crate::terraform::{Terraform, Version, repo_root, tools_dir};

/// The access key the tests give the provider (moto accepts any).
pub const ACCESS_KEY: &str = "AKIAOPPIETESTKEY0001";
/// The secret key; tests check it never shows up in logs or state.
pub const SECRET_KEY: &str = "oppie-test-secret-Zx81qP0wLm";
/// Moto's account id.
pub const ACCOUNT: &str = "123456789012";

struct Server {
    port: u16,
    // Held open for the life of the process: moto exits when it closes.
    _lifeline: ChildStdin,
    _child: Child,
}

/// Starts a helper script from tests/tools with the venv's Python and reads its "port N" line.
pub(crate) fn spawn_python(script: &str, args: &[String], env: &[(&str, String)]) -> (Child, ChildStdin, u16) {
    let python = tools_dir().join("venv/bin/python");
    assert!(python.exists(), "{} missing: run `make tools`", python.display());
    let mut child = Command::new(python)
        .arg(repo_root().join("tests/tools").join(script))
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {script}: {e}"));
    let stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read port line");
    let port = line
        .trim()
        .strip_prefix("port ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{script} said {line:?}"));
    (child, stdin, port)
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let amis = repo_root().join("tests/fixtures/amis.json");
        let (child, stdin, port) =
            spawn_python("moto_run.py", &["0".into()], &[("MOTO_AMIS_PATH", amis.display().to_string())]);
        let deadline = Instant::now() + Duration::from_secs(30);
        while http(port, "GET", "/moto-api/data.json", "").is_err() {
            assert!(Instant::now() < deadline, "moto did not answer on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        Server { port, _lifeline: stdin, _child: child }
    })
}

/// A plain HTTP/1.1 request to 127.0.0.1:`port`; returns status and body.
pub fn http(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}

/// One AWS test: holds the lock, moto is fresh, clients point at it.
pub struct AwsTest {
    _guard: MutexGuard<'static, ()>,
    port: u16,
    rt: tokio::runtime::Runtime,
    /// EC2 client on moto (us-east-1).
    pub ec2: aws_sdk_ec2::Client,
    /// S3 client on moto (path style).
    pub s3: aws_sdk_s3::Client,
    /// RDS client on moto.
    pub rds: aws_sdk_rds::Client,
    /// ElastiCache client on moto.
    pub elasticache: aws_sdk_elasticache::Client,
    /// KMS client on moto.
    pub kms: aws_sdk_kms::Client,
}

/// Starts an AWS test: waits for the lock, resets moto.
pub fn aws_test() -> AwsTest {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let port = server().port;
    let (status, body) = http(port, "POST", "/moto-api/reset", "").expect("reset moto");
    assert_eq!(status, 200, "moto reset: {body}");
    let endpoint = format!("http://127.0.0.1:{port}");
    let creds = Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "oppie-tests");
    let ec2 = aws_sdk_ec2::Client::from_conf(
        aws_sdk_ec2::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&endpoint)
            .credentials_provider(creds.clone())
            .build(),
    );
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&endpoint)
            .credentials_provider(creds.clone())
            .force_path_style(true)
            .build(),
    );
    let rds = aws_sdk_rds::Client::from_conf(
        aws_sdk_rds::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&endpoint)
            .credentials_provider(creds.clone())
            .build(),
    );
    let elasticache = aws_sdk_elasticache::Client::from_conf(
        aws_sdk_elasticache::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&endpoint)
            .credentials_provider(creds.clone())
            .build(),
    );
    let kms = aws_sdk_kms::Client::from_conf(
        aws_sdk_kms::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&endpoint)
            .credentials_provider(creds)
            .build(),
    );
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    AwsTest { _guard: guard, port, rt, ec2, s3, rds, elasticache, kms }
}

impl AwsTest {
    /// moto's URL.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Runs a future (an SDK call) to completion.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// A Terraform 1.15 working directory whose provider has test credentials and never
    /// looks for instance metadata or the user's AWS files.
    pub fn terraform(&self) -> Terraform {
        let mut tf = Terraform::new(Version::Latest);
        for (k, v) in credentials_env() {
            tf.env(k, &v);
        }
        tf
    }

    /// A `provider "oppie"` block pointing at `endpoint` with default tags.
    pub fn provider(endpoint: &str) -> String {
        format!(
            r#"provider "oppie" {{
  default_cloud  = "aws"
  default_region = "us-east"
  default_tags   = {{ project = "shop", environment = "dev" }}
  aws {{
    endpoint     = "{endpoint}"
    max_attempts = 4
  }}
}}
"#
        )
    }

    /// Starts a fault proxy in front of moto with `rules` (`CALL:MODE:COUNT`, see
    /// [`crate::proxy`]).
    pub fn fault_proxy(&self, rules: &[&str]) -> FaultProxy {
        FaultProxy::start(&self.endpoint(), rules)
    }

    /// An Elastic Load Balancing v2 client on moto.
    pub fn elb(&self) -> aws_sdk_elasticloadbalancingv2::Client {
        let creds = Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "oppie-tests");
        aws_sdk_elasticloadbalancingv2::Client::from_conf(
            aws_sdk_elasticloadbalancingv2::config::Builder::new()
                .behavior_version(aws_sdk_elasticloadbalancingv2::config::BehaviorVersion::latest())
                .region(aws_sdk_elasticloadbalancingv2::config::Region::new("us-east-1"))
                .endpoint_url(self.endpoint())
                .credentials_provider(creds)
                .build(),
        )
    }

    /// A Route 53 client on moto.
    pub fn route53(&self) -> aws_sdk_route53::Client {
        let creds = Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "oppie-tests");
        aws_sdk_route53::Client::from_conf(
            aws_sdk_route53::config::Builder::new()
                .behavior_version(aws_sdk_route53::config::BehaviorVersion::latest())
                .region(aws_sdk_route53::config::Region::new("us-east-1"))
                .endpoint_url(self.endpoint())
                .credentials_provider(creds)
                .build(),
        )
    }

    /// Ids of VPCs (other than moto's default VPC).
    pub fn vpc_ids(&self) -> Vec<String> {
        let out = self.block_on(self.ec2.describe_vpcs().send()).expect("describe vpcs");
        out.vpcs()
            .iter()
            .filter(|v| v.is_default() != Some(true))
            .filter_map(|v| v.vpc_id().map(str::to_string))
            .collect()
    }

    /// Identifiers of RDS instances.
    pub fn databases(&self) -> Vec<String> {
        let out = self.block_on(self.rds.describe_db_instances().send()).expect("describe db instances");
        out.db_instances().iter().filter_map(|d| d.db_instance_identifier().map(str::to_string)).collect()
    }

    /// Ids of ElastiCache replication groups.
    pub fn caches(&self) -> Vec<String> {
        let out = self.block_on(self.elasticache.describe_replication_groups().send()).expect("describe groups");
        out.replication_groups().iter().filter_map(|g| g.replication_group_id().map(str::to_string)).collect()
    }

    /// Ids of customer-managed KMS keys not pending deletion.
    pub fn live_keys(&self) -> Vec<String> {
        let out = self.block_on(self.kms.list_keys().send()).expect("list keys");
        out.keys()
            .iter()
            .filter_map(|k| k.key_id())
            .filter(|id| {
                let d = self.block_on(self.kms.describe_key().key_id(*id).send()).expect("describe key");
                d.key_metadata().is_some_and(|m| {
                    m.key_state() != Some(&aws_sdk_kms::types::KeyState::PendingDeletion)
                        && m.key_manager() == Some(&aws_sdk_kms::types::KeyManagerType::Customer)
                })
            })
            .map(str::to_string)
            .collect()
    }

    /// Names of RDS and ElastiCache subnet groups.
    pub fn subnet_groups(&self) -> Vec<String> {
        let db = self.block_on(self.rds.describe_db_subnet_groups().send()).expect("db subnet groups");
        let cache = self.block_on(self.elasticache.describe_cache_subnet_groups().send()).expect("cache subnet groups");
        db.db_subnet_groups()
            .iter()
            .filter_map(|g| g.db_subnet_group_name())
            .chain(cache.cache_subnet_groups().iter().filter_map(|g| g.cache_subnet_group_name()))
            .filter(|n| *n != "default")
            .map(str::to_string)
            .collect()
    }

    /// Ids of instances not terminated.
    pub fn live_instances(&self) -> Vec<String> {
        let out = self.block_on(self.ec2.describe_instances().send()).expect("describe instances");
        out.reservations()
            .iter()
            .flat_map(|r| r.instances())
            .filter(|i| i.state().and_then(|s| s.name()).map(|n| n.as_str()) != Some("terminated"))
            .filter_map(|i| i.instance_id().map(str::to_string))
            .collect()
    }
}

/// Environment for a provider process talking to moto.
pub fn credentials_env() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.into()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("AWS_CONFIG_FILE", "/nonexistent/oppie-test-config".into()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/oppie-test-credentials".into()),
    ]
}
