//! Logs as go-hclog JSON lines on stderr, which Terraform re-logs under
//! `provider.terraform-provider-<name>` when `TF_LOG` or `TF_LOG_PROVIDER` is set.

use std::fmt::Write as _;
use std::io::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// The level from `TF_LOG_PROVIDER`, else `TF_LOG` (`JSON` means trace), else off.
pub fn level_from_env() -> LevelFilter {
    let raw = std::env::var("TF_LOG_PROVIDER").or_else(|_| std::env::var("TF_LOG")).unwrap_or_default();
    match raw.to_ascii_lowercase().as_str() {
        "trace" | "json" => LevelFilter::TRACE,
        "debug" => LevelFilter::DEBUG,
        "info" => LevelFilter::INFO,
        "warn" => LevelFilter::WARN,
        "error" => LevelFilter::ERROR,
        _ => LevelFilter::OFF,
    }
}

/// Installs the hclog JSON subscriber (in debug mode at least at INFO).
pub fn init(debug: bool) {
    let mut level = level_from_env();
    if debug && level < LevelFilter::INFO {
        level = LevelFilter::INFO;
    }
    // Transport crates are chatty at debug level; keep them to warnings.
    let quiet = level.min(LevelFilter::WARN);
    let filter = Targets::new().with_default(level).with_targets(
        ["h2", "hyper", "hyper_util", "tonic", "tower", "rustls", "aws_smithy_runtime", "aws_config"]
            .map(|t| (t, quiet)),
    );
    let _ = tracing_subscriber::registry().with(HclogLayer.with_filter(filter)).try_init();
}

/// Formats events as hclog JSON lines.
pub struct HclogLayer;

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = JsonFields::default();
        event.record(&mut fields);
        let line = format_line(*event.metadata().level(), event.metadata().target(), fields);
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(line.as_bytes());
    }
}

#[derive(Default)]
struct JsonFields {
    message: String,
    rest: serde_json::Map<String, serde_json::Value>,
}

impl Visit for JsonFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            self.rest.insert(field.name().to_string(), value.into());
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.rest.insert(field.name().to_string(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.rest.insert(field.name().to_string(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.rest.insert(field.name().to_string(), value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut s = String::new();
        let _ = write!(s, "{value:?}");
        self.record_str(field, &s);
    }
}

fn format_line(level: Level, target: &str, fields: JsonFields) -> String {
    let mut obj = fields.rest;
    let level = match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    };
    obj.insert("@level".into(), level.into());
    obj.insert("@message".into(), fields.message.into());
    obj.insert("@module".into(), format!("provider.{}", target.split("::").next().unwrap_or(target)).into());
    obj.insert("@timestamp".into(), timestamp().into());
    let mut line = serde_json::Value::Object(obj).to_string();
    line.push('\n');
    line
}

/// Go layout `2006-01-02T15:04:05.000000Z07:00`: exactly six fractional digits, or
/// Terraform treats the line as raw text.
fn timestamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.microsecond()
    )
}

/// A panic in provider code under tfplug's guard becomes an error diagnostic and is
/// logged; any other panic kills the plugin, and is printed as `panic: …` so that
/// Terraform shows its crash report.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        if crate::server::guard::in_guard() {
            tracing::error!(location = %location, "provider code panicked: {payload}");
            return;
        }
        let backtrace = std::backtrace::Backtrace::force_capture();
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "panic: {payload}{location}\n\n{backtrace}");
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_hclog_json_with_microsecond_timestamps() {
        let mut f = JsonFields { message: "hello".into(), ..Default::default() };
        f.rest.insert("tf_resource_type".into(), "oppie_network".into());
        let line = format_line(Level::DEBUG, "tfplug::server", f);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["@level"], "debug");
        assert_eq!(v["@message"], "hello");
        assert_eq!(v["tf_resource_type"], "oppie_network");
        let ts = v["@timestamp"].as_str().unwrap();
        let frac = ts.split('.').nth(1).unwrap();
        assert_eq!(frac.len(), 7, "six digits and Z: {ts}");
    }
}
