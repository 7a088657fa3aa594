//! Hostile or careless policies and inputs, each run through the `oppie-policy` binary under an
//! address-space cap: every one ends with a clear error (an `error` finding or exit 2), never an
//! abort, and within bounded memory.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Address space the binary may map: far below what the unbounded cases reached (3 GB and more).
const ADDRESS_SPACE: u64 = 1536 << 20;

fn run(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_oppie-policy"));
    command.args(args).current_dir(dir).env_remove("RUST_LOG");
    // SAFETY: setrlimit is async-signal-safe and touches only the child's own limits.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: ADDRESS_SPACE, rlim_max: ADDRESS_SPACE };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let output = command.output().expect("the binary runs");
    assert!(output.status.code().is_some(), "killed by a signal: {output:?}");
    output
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    std::fs::write(dir.path().join("plan.json"), r#"{"format_version":"1.2","resource_changes":[]}"#).unwrap();
    dir
}

#[test]
fn a_request_that_drives_recursion_does_not_take_the_server_down() {
    use std::io::{BufRead, BufReader, Read, Write};
    // The recursion depth follows the input: a short request asks for a million levels.
    let dir = workspace(&[(
        "p/depth.rego",
        "package depth\n\ndown(n) := 0 if n <= 0\ndown(n) := 1 + down(n - 1) if n > 0\n\n\
         deny contains msg if { msg := sprintf(\"%d\", [down(input.depth)]) }\n",
    )]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_oppie-policy"))
        .args(["serve", "--addr", "127.0.0.1:0", "-p", "p"])
        .current_dir(dir.path())
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let address = line.split_whitespace().nth(2).unwrap().trim_start_matches("http://").to_string();
    let ask = |body: &str| {
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        let request = format!(
            "POST /v1/data/depth/deny HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    };
    let deep = ask(r#"{"input": {"depth": 1000000}}"#);
    assert!(deep.starts_with("HTTP/1.1 "), "{deep}");
    assert!(deep.contains("nested too deeply"), "{deep}");
    let shallow = ask(r#"{"input": {"depth": 3}}"#);
    assert!(shallow.starts_with("HTTP/1.1 200"), "the server still answers: {shallow}");
    let _ = child.kill();
    let _ = child.wait();
}

const RECURSIVE: &str = "package rec\n\nf(x) := y if {\n  y := f(x + 1)\n}\n\n\
                         deny contains msg if { msg := sprintf(\"%v\", [f(0)]) }\n\n\
                         deny_other contains \"still here\" if { true }\n\n\
                         test_recursion if { f(0) }\n\ntest_fine if { true }\n";

#[test]
fn endless_recursion_is_an_error_with_its_location_in_check_eval_and_test() {
    let dir = workspace(&[("p/rec.rego", RECURSIVE)]);
    let check = run(dir.path(), &["check", "plan.json", "-p", "p", "--no-costs"]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));
    let out = text(&check);
    assert!(out.contains("nested too deeply") && out.contains("rec.rego:4:"), "{out}");
    assert!(out.contains("still here"), "the other rules still report: {out}");

    let eval = run(dir.path(), &["eval", "-p", "p", "data.rec.f(1)"]);
    assert_eq!(eval.status.code(), Some(2), "{}", text(&eval));
    assert!(text(&eval).contains("nested too deeply"), "{}", text(&eval));

    let test = run(dir.path(), &["test", "p"]);
    assert_eq!(test.status.code(), Some(1), "{}", text(&test));
    let out = text(&test);
    assert!(out.contains("test_fine") || out.contains("1 passed") || out.contains("PASS"), "{out}");
    assert!(out.contains("nested too deeply"), "{out}");
}

#[test]
fn a_huge_range_stops_at_the_memory_limit() {
    let dir = workspace(&[(
        "p/big.rego",
        "package big\ndeny contains msg if {\n  n := count(numbers.range(1, 1e9))\n  msg := sprintf(\"%d\", [n])\n}\n\
         deny_other contains \"still here\" if { true }\n",
    )]);
    let started = Instant::now();
    let out = run(dir.path(), &["check", "plan.json", "-p", "p", "--no-costs", "--memory-limit", "256"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("memory limit"), "{all}");
    assert!(all.contains("still here"), "{all}");
    assert!(started.elapsed() < Duration::from_secs(60));
    // Under the time budget instead, the builtin stops on the deadline.
    let out = run(dir.path(), &["check", "plan.json", "-p", "p", "--no-costs", "--rule-timeout", "300ms"]);
    assert!(text(&out).contains("budget"), "{}", text(&out));
}

#[test]
fn rule_timeout_bounds_the_whole_check() {
    let mut files: Vec<(String, String)> = (0..16)
        .map(|i| (format!("p/r{i}.rego"), format!("package r{i}\ndeny contains \"r{i}\" if {{ true }}\n")))
        .collect();
    files.push((
        "p/slow.rego".into(),
        "package slow\ndeny contains msg if {\n  n := count([x | some a in numbers.range(1, 5000); \
         some b in numbers.range(1, 5000); x := a * b])\n  msg := sprintf(\"%d\", [n])\n}\n"
            .into(),
    ));
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let dir = workspace(&borrowed);
    let started = Instant::now();
    let out = run(dir.path(), &["check", "plan.json", "-p", "p", "--no-costs", "--rule-timeout", "1s"]);
    let elapsed = started.elapsed();
    let all = text(&out);
    assert!(elapsed < Duration::from_secs(8), "17 rules with a 1 s budget took {elapsed:?}");
    assert!(all.contains("slow.deny") && all.contains("--rule-timeout"), "{all}");
    assert!(all.contains("16 failures"), "the fast rules report: {all}");
}

#[test]
fn policy_sets_of_thousands_of_rules_load() {
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("p");
    std::fs::create_dir_all(&policies).unwrap();
    for i in 0..4000 {
        std::fs::write(
            policies.join(format!("r{i}.rego")),
            format!("package r{i}\ndeny contains \"r{i}\" if {{ input.x == 1 }}\n"),
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("plan.json"), r#"{"format_version":"1.2","resource_changes":[]}"#).unwrap();
    let out = run(dir.path(), &["check", "plan.json", "-p", "p", "--no-costs"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("4000 rules") && all.contains("0 errors"), "{all}");
}

#[test]
fn bundle_build_refuses_what_check_refuses() {
    let dir = workspace(&[("p/bad.rego", "package bad\n\ndeny contains msg if {\n  msg :=\n}\n")]);
    let out = run(dir.path(), &["bundle", "build", "p", "-o", "b.tar.gz"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("bad.rego:"), "{}", text(&out));
    assert!(!dir.path().join("b.tar.gz").exists());
}

#[test]
fn oversized_inputs_and_bundles_name_their_cap() {
    let dir = workspace(&[("p/ok.rego", "package ok\ndeny contains \"x\" if { false }\n")]);
    let out = run(dir.path(), &["check", "/dev/zero", "-p", "p", "--no-costs"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("256 MiB input cap"), "{}", text(&out));

    // A gzip bomb: an entry that says it unpacks to 600 MiB (its zeros compress a thousandfold;
    // the test writes only the first MiB of them, the cap must trip on the header).
    let bomb = dir.path().join("bomb.tar.gz");
    let file = std::fs::File::create(&bomb).unwrap();
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let mut header = tar::Header::new_gnu();
    header.set_path("data.json").unwrap();
    header.set_size(600 << 20);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    std::io::Write::write_all(&mut gz, header.as_bytes()).unwrap();
    std::io::copy(&mut std::io::repeat(0).take_bytes(1 << 20), &mut gz).unwrap();
    gz.finish().unwrap();
    let out = run(dir.path(), &["check", "plan.json", "-p", "bomb.tar.gz", "--no-costs"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("512 MiB"), "{}", text(&out));
}

#[test]
fn deeply_nested_yaml_data_is_refused_at_once() {
    let deep = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let dir = workspace(&[("p/ok.rego", "package ok\ndeny contains \"x\" if { false }\n"), ("deep.yaml", &deep)]);
    let started = Instant::now();
    let out = run(dir.path(), &["check", "plan.json", "-p", "p", "-d", "deep.yaml", "--no-costs"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("nested deeper than 128"), "{}", text(&out));
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// `std::io::repeat(0).take(n)` under a name that does not clash with `Read::take` in scope.
trait TakeBytes: std::io::Read + Sized {
    fn take_bytes(self, n: u64) -> std::io::Take<Self> {
        std::io::Read::take(self, n)
    }
}
impl<R: std::io::Read> TakeBytes for R {}
