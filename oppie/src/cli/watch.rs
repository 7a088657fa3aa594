//! `oppie drift watch`: scans directories on a schedule with bounded parallelism, serves the scans'
//! metrics, and stops cleanly on SIGTERM or Ctrl-C after the scans in flight.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use oppie::drift::terraform::Terraform;
use oppie::watch::{Metrics, next_wait, parse_duration, serve_metrics};

use super::EXIT_OK;
use super::drift::{ScanArgs, load_policies, scan_once};

#[derive(Debug, Args)]
pub(super) struct WatchArgs {
    /// Time between the end of one round of scans and the start of the next.
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration)]
    every: Duration,
    /// Up to this much random time added to each wait, so watchers started together spread out.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = parse_duration)]
    jitter: Duration,
    /// Directories scanned at the same time.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    parallel: u16,
    /// Serve Prometheus metrics on this address (`GET /metrics`, `GET /health`).
    #[arg(long, value_name = "ADDR")]
    metrics: Option<SocketAddr>,
    /// Stop after this many rounds (default: run until SIGTERM or Ctrl-C).
    #[arg(long, value_name = "N")]
    rounds: Option<u64>,
    #[command(flatten)]
    scan: ScanArgs,
}

pub(super) fn run(args: WatchArgs) -> anyhow::Result<u8> {
    anyhow::ensure!(args.scan.plans.is_empty(), "watch scans working directories; --plan does not apply");
    anyhow::ensure!(!args.every.is_zero(), "--every must be more than 0s");
    let mut dirs = args.scan.dirs.clone();
    if dirs.is_empty() {
        dirs.push(".".into());
    }
    for dir in &dirs {
        anyhow::ensure!(dir.is_dir(), "{} is not a directory", dir.display());
    }
    let policies = load_policies(&args.scan)?;
    super::drift::github_issues(&args.scan)?;
    let terraform = Terraform::new(&args.scan.terraform);
    if args.scan.unmanaged {
        terraform.require_query()?;
    }
    let metrics = Arc::new(Metrics::new());
    if let Some(addr) = args.metrics {
        let listener = TcpListener::bind(addr).with_context(|| format!("--metrics: binding {addr}"))?;
        let bound = listener.local_addr().context("--metrics: reading the bound address")?;
        eprintln!("oppie drift watch: metrics on http://{bound}/metrics");
        serve_metrics(listener, metrics.clone());
    }
    let (stop, woken) = stop_on_signals()?;
    let mut round = 0u64;
    loop {
        round += 1;
        let next = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..usize::from(args.parallel).min(dirs.len()) {
                s.spawn(|| {
                    loop {
                        // Between directories, a stop request starts no new scan.
                        if stop.load(Ordering::SeqCst) {
                            return;
                        }
                        let Some(dir) = dirs.get(next.fetch_add(1, Ordering::SeqCst)) else { return };
                        let mut one = args.scan.clone();
                        one.dirs = vec![dir.clone()];
                        let source = dir.display().to_string();
                        let started = Instant::now();
                        match scan_once(&one, policies.as_ref(), &terraform) {
                            Ok(done) => {
                                let now = time::OffsetDateTime::now_utc().unix_timestamp();
                                metrics.scanned(&source, &done.report.counts(), started.elapsed(), now);
                                let rendered = done.report.render(args.scan.format);
                                match &args.scan.output {
                                    // One file per directory would be ambiguous: the last round's
                                    // report of each directory, appended.
                                    Some(path) => append(path, &rendered),
                                    None => print!("{rendered}"),
                                }
                            }
                            Err(e) => {
                                metrics.failed(&source, started.elapsed());
                                eprintln!("{source}: scan failed: {e:#}");
                            }
                        }
                    }
                });
            }
        });
        if stop.load(Ordering::SeqCst) || args.rounds.is_some_and(|n| round >= n) {
            break;
        }
        match woken.recv_timeout(next_wait(args.every, args.jitter)) {
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    eprintln!("oppie drift watch: stopped after {round} round(s)");
    Ok(EXIT_OK)
}

fn append(path: &std::path::Path, text: &str) {
    use std::io::Write;
    let written =
        std::fs::OpenOptions::new().create(true).append(true).open(path).and_then(|mut f| f.write_all(text.as_bytes()));
    if let Err(e) = written {
        eprintln!("writing {}: {e}", path.display());
    }
}

/// A flag set, and a message sent, on SIGTERM or SIGINT.
fn stop_on_signals() -> anyhow::Result<(Arc<AtomicBool>, mpsc::Receiver<()>)> {
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the signal handler")?;
    let mut term = {
        let _guard = runtime.enter();
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).context("handling SIGTERM")?
    };
    let flag = stop.clone();
    std::thread::spawn(move || {
        runtime.block_on(async {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        });
        eprintln!("oppie drift watch: stopping after the scans in flight");
        flag.store(true, Ordering::SeqCst);
        let _ = tx.send(());
    });
    Ok((stop, rx))
}
