//! A throwaway PostgreSQL cluster for the history-store tests: Debian's `postgresql` server
//! binaries (`initdb`, `postgres`), a data directory and a socket directory in a temp dir, a
//! loopback port; stopped when dropped. As root (CI), the server runs as the `postgres` user
//! (or `nobody`), since initdb refuses root.
//!
//! Without the server binaries the tests print one line and skip, unless `OPPIE_REQUIRE_POSTGRES=1`
//! (`.ci/run` sets it): then a missing server fails them. Also included by path into the moto
//! end-to-end drift test (tests/e2e/oppie_drift.rs).
// Each test crate that includes this uses a part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The password of the cluster's `oppie` superuser (TCP logins need it; the socket trusts).
pub const PASSWORD: &str = "drift-s3cret-pw";

pub struct Cluster {
    dir: tempfile::TempDir,
    server: Child,
    pub port: u16,
    bin: PathBuf,
}

/// The directory holding `initdb` and `postgres`: `OPPIE_PG_BIN`, else the newest
/// `/usr/lib/postgresql/*/bin`.
fn server_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("OPPIE_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

impl Cluster {
    /// Starts a cluster, or `None` (with one printed line) when no server is installed.
    pub fn start() -> Option<Cluster> {
        let Some(bin) = server_bin() else {
            let required = std::env::var("OPPIE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "no PostgreSQL server (initdb) under /usr/lib/postgresql/*/bin (OPPIE_REQUIRE_POSTGRES=1; `make tools` installs Debian's postgresql, or set OPPIE_PG_BIN)"
            );
            eprintln!(
                "skipping the PostgreSQL store tests: no server under /usr/lib/postgresql/*/bin (apt-get install postgresql, or set OPPIE_PG_BIN)"
            );
            return None;
        };
        let dir = tempfile::Builder::new().prefix("oppie-pg-").tempdir().expect("temp dir");
        std::fs::write(dir.path().join("pwfile"), PASSWORD).expect("password file");
        std::fs::create_dir(dir.path().join("sock")).expect("socket dir");
        let mut run_as = Vec::new();
        if output(Command::new("id").arg("-u")).as_deref() == Some("0") {
            let user = ["postgres", "nobody"]
                .into_iter()
                .find(|u| output(Command::new("id").args(["-u", u])).is_some())
                .expect("a non-root user (postgres or nobody) to run the server as");
            let uid: u32 = output(Command::new("id").args(["-u", user])).unwrap().parse().unwrap();
            let gid: u32 = output(Command::new("id").args(["-g", user])).unwrap().parse().unwrap();
            for path in [dir.path().to_path_buf(), dir.path().join("pwfile"), dir.path().join("sock")] {
                std::os::unix::fs::chown(&path, Some(uid), Some(gid)).expect("chown the cluster dir");
            }
            run_as = vec![
                "setpriv".into(),
                format!("--reuid={uid}"),
                format!("--regid={gid}"),
                "--clear-groups".into(),
                "--".into(),
            ];
        }
        let cluster_cmd = |program: &str| {
            let mut cmd = match run_as.split_first() {
                Some((first, rest)) => {
                    let mut c = Command::new(first);
                    c.args(rest).arg(bin.join(program));
                    c
                }
                None => Command::new(bin.join(program)),
            };
            cmd.env_remove("PGDATA").env("LC_ALL", "C");
            cmd
        };
        let data = dir.path().join("data");
        let init = cluster_cmd("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "oppie", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"])
            .arg(format!("--pwfile={}", dir.path().join("pwfile").display()))
            .output()
            .expect("run initdb");
        assert!(init.status.success(), "initdb failed: {}", String::from_utf8_lossy(&init.stderr));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = std::fs::File::create(dir.path().join("server.log")).expect("server log");
        let server = cluster_cmd("postgres")
            .arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(dir.path().join("sock"))
            .args(["-p", &port.to_string(), "-h", "127.0.0.1", "-c", "fsync=off", "-c", "max_connections=40"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start postgres");
        let cluster = Cluster { dir, server, port, bin };
        cluster.wait_ready();
        Some(cluster)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut cmd = Command::new(self.bin.join("pg_isready"));
            cmd.args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"]);
            if cmd.status().is_ok_and(|s| s.success()) {
                return;
            }
            assert!(Instant::now() < deadline, "postgres did not start: {}", self.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The server's log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// The socket directory.
    pub fn socket_dir(&self) -> PathBuf {
        self.dir.path().join("sock")
    }

    /// Creates database `name` and returns its URL over TCP with the password.
    pub fn database(&self, name: &str) -> String {
        let mut admin =
            postgres::Client::connect(&self.tcp_url("postgres"), postgres::NoTls).expect("connect as admin");
        admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create database");
        self.tcp_url(name)
    }

    /// `postgres://oppie:PASSWORD@127.0.0.1:PORT/DB`.
    pub fn tcp_url(&self, db: &str) -> String {
        format!("postgres://oppie:{PASSWORD}@127.0.0.1:{}/{db}", self.port)
    }

    /// The socket URL of `db` (no password: the socket trusts).
    pub fn socket_url(&self, db: &str) -> String {
        format!("postgres://oppie@/{db}?host={}&port={}", self.socket_dir().display(), self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // SIGINT: the fast shutdown (ends sessions, removes the socket and shared memory).
        let _ = Command::new("kill").args(["-INT", &self.server.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.server.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}
