//! The server's runtime settings, read from `Leptos.toml` (see the comments there).

use std::path::{Path, PathBuf};

use app::db::Database;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub demo: DemoSettings,
    pub session: SessionFileSettings,
    pub integrity: IntegrityFileSettings,
    #[serde(default)]
    pub limits: LimitsFileSettings,
    #[serde(default)]
    pub network: NetworkFileSettings,
    #[serde(default)]
    pub streaming: StreamingFileSettings,
}

/// `[streaming]`: see the comments in `Leptos.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StreamingFileSettings {
    pub allow_private_networks: bool,
    pub batch_events: usize,
    pub retry_max_seconds: u64,
    pub pause_after_seconds: u64,
    pub previous_secret_grace_seconds: u64,
    pub lease_seconds: u64,
}

impl Default for StreamingFileSettings {
    fn default() -> Self {
        let defaults = app::state::StreamingSettings::default();
        StreamingFileSettings {
            allow_private_networks: defaults.allow_private_networks,
            batch_events: defaults.batch_events,
            retry_max_seconds: defaults.retry_max.as_secs(),
            pause_after_seconds: defaults.pause_after.as_secs(),
            previous_secret_grace_seconds: defaults.previous_secret_grace.as_secs(),
            lease_seconds: defaults.lease.as_secs(),
        }
    }
}

/// `[limits]`: see the comments in `Leptos.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsFileSettings {
    /// 0: the number of cores.
    pub password_checks_at_once: usize,
    pub exports_at_once: usize,
    pub exports_per_partner: usize,
    pub export_send_timeout_seconds: u64,
    pub sorted_export_max_rows: usize,
    pub page_cache_mib: u64,
    pub token_reads_per_minute: u32,
    pub live_streams_at_once: usize,
    pub live_streams_per_partner: usize,
    pub connections_at_once: usize,
    pub header_timeout_seconds: u64,
    pub keep_alive_seconds: u64,
    pub write_stall_seconds: u64,
}

impl Default for LimitsFileSettings {
    fn default() -> Self {
        let limits = app::state::Limits::default();
        let connections = crate::connections::ConnectionLimits::default();
        LimitsFileSettings {
            password_checks_at_once: 0,
            exports_at_once: limits.exports_at_once,
            exports_per_partner: limits.exports_per_partner,
            export_send_timeout_seconds: limits.export_send_timeout.as_secs(),
            sorted_export_max_rows: limits.sorted_export_max_rows,
            page_cache_mib: limits.page_cache_bytes >> 20,
            token_reads_per_minute: limits.token_reads_per_minute,
            live_streams_at_once: limits.live_streams_at_once,
            live_streams_per_partner: limits.live_streams_per_partner,
            connections_at_once: connections.max,
            header_timeout_seconds: connections.header_timeout.as_secs(),
            keep_alive_seconds: connections.keep_alive.as_secs(),
            write_stall_seconds: connections.write_stall.as_secs(),
        }
    }
}

/// `[network]`: the reverse proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkFileSettings {
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrityFileSettings {
    pub signing_key: PathBuf,
    pub checkpoint_minutes: u32,
    /// How long the rolling audit takes to walk every chain once.
    #[serde(default = "a_day")]
    pub audit_period_seconds: u64,
    /// This server's name in its checkpoints (C2SP signed notes): the key's name, and the
    /// start of each partner's origin line.
    #[serde(default = "default_origin")]
    pub origin: String,
}

fn a_day() -> u64 {
    86_400
}

fn default_origin() -> String {
    app::integrity::checkpoint::DEFAULT_ORIGIN.into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// The SQLite file, when no URL is given.
    pub path: PathBuf,
    /// `postgres://…` (or a SQLite path); wins over `path`.
    #[serde(default)]
    pub url: Option<String>,
}

impl DatabaseSettings {
    /// The database to use: `given` (the command line, or DATABASE_URL), else `url`, else
    /// the SQLite file at `path`.
    pub fn choose(&self, given: Option<&str>) -> Database {
        match given.or(self.url.as_deref()) {
            Some(url) => Database::parse(url),
            None => Database::SqliteFile(self.path.clone()),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSettings {
    pub seed: u64,
    pub events: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionFileSettings {
    pub lifetime_hours: u32,
    pub idle_minutes: u32,
    pub secure_cookie: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not valid: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
    #[error("{0}")]
    Invalid(String),
}

impl Settings {
    pub fn load(path: &Path) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Settings::parse(&text)
            .map_err(|source| ConfigError::Parse {
                path: path.to_path_buf(),
                source,
            })
            .and_then(Settings::validated)
    }

    pub fn parse(text: &str) -> Result<Settings, toml::de::Error> {
        toml::from_str(text)
    }

    fn validated(self) -> Result<Settings, ConfigError> {
        if self.session.lifetime_hours == 0 || self.session.lifetime_hours > 24 * 30 {
            return Err(ConfigError::Invalid(
                "session.lifetime_hours must be between 1 and 720".into(),
            ));
        }
        if self.session.idle_minutes == 0 || self.session.idle_minutes > self.session.lifetime_hours * 60 {
            return Err(ConfigError::Invalid(
                "session.idle_minutes must be between 1 and the lifetime".into(),
            ));
        }
        if self.integrity.checkpoint_minutes == 0 || self.integrity.checkpoint_minutes > 24 * 60 {
            return Err(ConfigError::Invalid(
                "integrity.checkpoint_minutes must be between 1 and 1440".into(),
            ));
        }
        if self.integrity.audit_period_seconds == 0 {
            return Err(ConfigError::Invalid(
                "integrity.audit_period_seconds must be at least 1".into(),
            ));
        }
        // A signed note's key name: no spaces or plus signs (C2SP signed-note).
        let origin = &self.integrity.origin;
        if origin.is_empty()
            || origin
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '+')
        {
            return Err(ConfigError::Invalid(
                "integrity.origin must be a host name such as activity-log.example.com (no spaces or +)"
                    .into(),
            ));
        }
        let limits = &self.limits;
        if limits.exports_at_once == 0 || limits.exports_per_partner == 0 {
            return Err(ConfigError::Invalid(
                "limits.exports_at_once and limits.exports_per_partner must be at least 1".into(),
            ));
        }
        if limits.export_send_timeout_seconds == 0 || limits.sorted_export_max_rows == 0 {
            return Err(ConfigError::Invalid(
                "limits.export_send_timeout_seconds and limits.sorted_export_max_rows must be at least 1"
                    .into(),
            ));
        }
        if limits.live_streams_at_once == 0 || limits.live_streams_per_partner == 0 {
            return Err(ConfigError::Invalid(
                "limits.live_streams_at_once and limits.live_streams_per_partner must be at least 1".into(),
            ));
        }
        if limits.token_reads_per_minute == 0 {
            return Err(ConfigError::Invalid(
                "limits.token_reads_per_minute must be at least 1".into(),
            ));
        }
        Ok(self)
    }

    pub fn limits(&self) -> app::state::Limits {
        let defaults = app::state::Limits::default();
        let file = &self.limits;
        app::state::Limits {
            trusted_proxies: self.network.trusted_proxies.clone(),
            password_checks_at_once: match file.password_checks_at_once {
                0 => defaults.password_checks_at_once,
                n => n,
            },
            password_check_wait: defaults.password_check_wait,
            exports_at_once: file.exports_at_once,
            exports_per_partner: file.exports_per_partner,
            export_send_timeout: std::time::Duration::from_secs(file.export_send_timeout_seconds),
            sorted_export_max_rows: file.sorted_export_max_rows,
            page_cache_bytes: file.page_cache_mib << 20,
            token_reads_per_minute: file.token_reads_per_minute,
            live_streams_at_once: file.live_streams_at_once,
            live_streams_per_partner: file.live_streams_per_partner,
            streaming: app::state::StreamingSettings {
                allow_private_networks: self.streaming.allow_private_networks,
                batch_events: self.streaming.batch_events.clamp(1, app::read_api::MAX_LIMIT),
                retry_max: std::time::Duration::from_secs(self.streaming.retry_max_seconds.max(1)),
                pause_after: std::time::Duration::from_secs(self.streaming.pause_after_seconds.max(1)),
                previous_secret_grace: std::time::Duration::from_secs(
                    self.streaming.previous_secret_grace_seconds,
                ),
                lease: std::time::Duration::from_secs(self.streaming.lease_seconds.max(2)),
            },
        }
    }

    pub fn connection_limits(&self) -> crate::connections::ConnectionLimits {
        let file = &self.limits;
        let seconds = |n: u64| std::time::Duration::from_secs(n.max(1));
        crate::connections::ConnectionLimits {
            max: file.connections_at_once.max(1),
            header_timeout: seconds(file.header_timeout_seconds),
            keep_alive: seconds(file.keep_alive_seconds),
            write_stall: seconds(file.write_stall_seconds),
        }
    }

    pub fn session_settings(&self) -> app::state::SessionSettings {
        app::state::SessionSettings {
            lifetime: chrono::Duration::hours(i64::from(self.session.lifetime_hours)),
            idle_timeout: chrono::Duration::minutes(i64::from(self.session.idle_minutes)),
            secure_cookie: self.session.secure_cookie,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_leptos_toml_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Leptos.toml");
        let settings = Settings::load(&path).unwrap();
        assert_eq!(settings.database.path, PathBuf::from("data/activity-log.sqlite"));
        assert_eq!(settings.session_settings().lifetime, chrono::Duration::hours(8));
        let limits = settings.limits();
        assert_eq!((limits.exports_at_once, limits.exports_per_partner), (10, 6));
        assert!(limits.trusted_proxies.is_empty());
    }

    #[test]
    fn unknown_keys_are_refused() {
        let text = "[database]\npath='x'\ntypo=1\n[demo]\nseed=1\nevents=1\n[session]\nlifetime_hours=1\nidle_minutes=5\nsecure_cookie=false\n[integrity]\nsigning_key='k'\ncheckpoint_minutes=60\n";
        assert!(Settings::parse(text).is_err());
    }

    #[test]
    fn the_command_line_or_environment_wins_then_the_url_then_the_path() {
        let mut settings = DatabaseSettings {
            path: PathBuf::from("data/a.sqlite"),
            url: None,
        };
        assert_eq!(
            settings.choose(None),
            Database::SqliteFile(PathBuf::from("data/a.sqlite"))
        );
        settings.url = Some("postgres://db/log".into());
        assert_eq!(
            settings.choose(None),
            Database::Postgres("postgres://db/log".into())
        );
        assert_eq!(
            settings.choose(Some("b.sqlite")),
            Database::SqliteFile(PathBuf::from("b.sqlite"))
        );
    }
}
