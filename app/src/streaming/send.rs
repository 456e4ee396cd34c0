//! Sending one batch to one destination: what "the receiver took it" means for each kind.
//! A webhook or chat message is taken when the receiver answers 2xx; a syslog batch when
//! every message was written over TLS and flushed. Every step has a time limit shorter than
//! the lease, so a hung receiver can't outlive the process's right to send.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;

use super::guard::{self, CheckedResolver};
use super::model::DestinationKind;
use super::sign;
use super::store::StoredDestination;
use crate::i18n::Locale;
use crate::read_api::store::FeedEvent;

/// Connecting (TCP and TLS) may take this long.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// One whole send may take this long, and at most half a lease.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest answer text kept as a destination's last error.
const ERROR_CHARS: usize = 300;

/// What one send carries: a batch of the log, or the page's test event.
pub struct Batch<'a> {
    /// The `webhook-id`: the same for every retry of the same events.
    pub id: String,
    pub events: &'a [FeedEvent],
    pub test: bool,
}

/// A destination's way out, kept between batches (the HTTP client's pool, the syslog
/// connection).
pub struct Sender {
    kind: DestinationKind,
    target: String,
    allow_internal: bool,
    timeout: Duration,
    http: Option<reqwest::Client>,
    syslog: Option<TlsStream<TcpStream>>,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl Sender {
    pub fn new(
        destination: &StoredDestination,
        settings: &crate::state::StreamingSettings,
    ) -> Result<Sender, String> {
        let allow_internal = settings.allow_private_networks;
        let timeout = SEND_TIMEOUT.min(settings.lease / 2);
        let kind = destination.kind();
        let certificates = certificates(&destination.ca_pem)?;
        let (http, tls) = match kind {
            DestinationKind::Webhook | DestinationKind::Chat => {
                let mut builder = reqwest::Client::builder()
                    .use_rustls_tls()
                    .https_only(true)
                    .redirect(reqwest::redirect::Policy::none())
                    .connect_timeout(CONNECT_TIMEOUT)
                    .timeout(timeout)
                    .pool_max_idle_per_host(1)
                    .user_agent("activity-log-streaming/1")
                    .dns_resolver(Arc::new(CheckedResolver { allow_internal }));
                for certificate in &certificates {
                    let certificate = reqwest::Certificate::from_der(certificate.as_ref())
                        .map_err(|error| format!("the CA certificate: {error}"))?;
                    builder = builder.add_root_certificate(certificate);
                }
                let client = builder.build().map_err(|error| format!("HTTP client: {error}"))?;
                (Some(client), None)
            }
            DestinationKind::Syslog => (None, Some(tls_config(certificates)?)),
        };
        Ok(Sender {
            kind,
            target: destination.target.clone(),
            allow_internal,
            timeout,
            http,
            syslog: None,
            tls,
        })
    }

    /// Sends `batch`; `Ok` once the receiver took it, else what went wrong, in a line.
    pub async fn send(
        &mut self,
        destination: &StoredDestination,
        batch: &Batch<'_>,
        now_ms: i64,
    ) -> Result<(), String> {
        let sent = tokio::time::timeout(self.timeout, async {
            match self.kind {
                DestinationKind::Webhook => {
                    let body = webhook_body(batch, now_ms)?;
                    self.post(destination, batch, body, now_ms).await
                }
                DestinationKind::Chat => {
                    let locale = Locale::parse(&destination.language).unwrap_or_default();
                    let body = chat_body(batch, locale)?;
                    self.post(destination, batch, body, now_ms).await
                }
                DestinationKind::Syslog => self.write_syslog(batch).await,
            }
        })
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} s", self.timeout.as_secs_f32())));
        if sent.is_err() {
            // A connection that failed once is not trusted with the next batch.
            self.syslog = None;
        }
        sent
    }

    async fn post(
        &self,
        destination: &StoredDestination,
        batch: &Batch<'_>,
        body: Vec<u8>,
        now_ms: i64,
    ) -> Result<(), String> {
        let client = self.http.as_ref().ok_or("no HTTP client")?;
        let url = reqwest::Url::parse(&self.target).map_err(|error| format!("the URL: {error}"))?;
        // An address written in the URL is never looked up, so it is checked here.
        if let Some(host) = url.host_str()
            && host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok()
        {
            guard::resolve(
                host,
                url.port_or_known_default().unwrap_or(443),
                self.allow_internal,
            )
            .await?;
        }
        let timestamp = now_ms / 1000;
        let signature =
            sign::signature_header(&destination.signing_secrets(now_ms), &batch.id, timestamp, &body);
        let answer = client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &batch.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            // Without the URL: a chat URL is itself a secret.
            .map_err(|error| crate::errors::cause_chain(&error.without_url()))?;
        let status = answer.status();
        if status.is_success() {
            return Ok(());
        }
        let text = answer.text().await.unwrap_or_default();
        Err(shorten(&format!(
            "the receiver answered {status}: {}",
            text.trim()
        )))
    }

    async fn write_syslog(&mut self, batch: &Batch<'_>) -> Result<(), String> {
        if self.syslog.is_none() {
            self.syslog = Some(self.connect_syslog().await?);
        }
        let stream = self.syslog.as_mut().ok_or("not connected")?;
        let host = hostname();
        let mut frames = Vec::with_capacity(batch.events.len() * 512);
        for event in batch.events {
            let message = syslog_message(event, &host, batch.test);
            frames.extend_from_slice(format!("{} ", message.len()).as_bytes());
            frames.extend_from_slice(message.as_bytes());
        }
        stream
            .write_all(&frames)
            .await
            .map_err(|error| format!("writing: {error}"))?;
        stream.flush().await.map_err(|error| format!("writing: {error}"))
    }

    async fn connect_syslog(&self) -> Result<TlsStream<TcpStream>, String> {
        let (host, port) = host_and_port(&self.target).ok_or("the target is not host:port")?;
        let addresses = guard::resolve(host, port, self.allow_internal).await?;
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&addresses[..]))
            .await
            .map_err(|_| {
                format!(
                    "{host}:{port} did not answer within {} s",
                    CONNECT_TIMEOUT.as_secs()
                )
            })?
            .map_err(|error| format!("connecting to {host}:{port}: {error}"))?;
        let name = rustls::pki_types::ServerName::try_from(
            host.trim_start_matches('[').trim_end_matches(']').to_string(),
        )
        .map_err(|error| format!("{host}: {error}"))?;
        let connector = tokio_rustls::TlsConnector::from(self.tls.clone().ok_or("no TLS settings")?);
        tokio::time::timeout(CONNECT_TIMEOUT, connector.connect(name, tcp))
            .await
            .map_err(|_| {
                format!(
                    "{host}:{port}: no TLS handshake within {} s",
                    CONNECT_TIMEOUT.as_secs()
                )
            })?
            .map_err(|error| format!("TLS with {host}:{port}: {error}"))
    }
}

/// `host:port`, with `[v6]:port` for IPv6.
pub fn host_and_port(target: &str) -> Option<(&str, u16)> {
    let (host, port) = target.rsplit_once(':')?;
    let port = port.parse().ok().filter(|port| *port != 0)?;
    (!host.is_empty() && !host.contains('/') && !host.contains('@')).then_some((host, port))
}

/// The certificates of a PEM text (none for an empty one), or why it isn't one.
pub fn certificates(pem: &str) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    if pem.trim().is_empty() {
        return Ok(Vec::new());
    }
    let certificates = rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("not PEM certificates: {error}"))?;
    if certificates.is_empty() {
        return Err("no CERTIFICATE block".into());
    }
    Ok(certificates)
}

fn tls_config(
    extra: Vec<rustls::pki_types::CertificateDer<'static>>,
) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for certificate in extra {
        roots
            .add(certificate)
            .map_err(|error| format!("the CA certificate: {error}"))?;
    }
    // The process's crypto provider: ring, the only one built in.
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[derive(Serialize)]
struct WebhookBody<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    timestamp: String,
    data: WebhookData<'a>,
}

#[derive(Serialize)]
struct WebhookData<'a> {
    test: bool,
    events: &'a [FeedEvent],
}

/// The Standard Webhooks envelope around the read API's events.
fn webhook_body(batch: &Batch<'_>, now_ms: i64) -> Result<Vec<u8>, String> {
    let timestamp = chrono::DateTime::from_timestamp_millis(now_ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    serde_json::to_vec(&WebhookBody {
        kind: if batch.test {
            "activity_log.test"
        } else {
            "activity_log.events"
        },
        timestamp,
        data: WebhookData {
            test: batch.test,
            events: batch.events,
        },
    })
    .map_err(|error| error.to_string())
}

/// One short line per event, in the destination's language.
pub fn chat_line(event: &FeedEvent, locale: Locale, test: bool) -> String {
    let action = crate::events::ActionKind::parse(event.action)
        .map(|kind| kind.label_in(locale).to_string())
        .unwrap_or_else(|| event.action_text.clone());
    let customer = event
        .customer_name
        .as_deref()
        .map(|name| format!(" · {name}"))
        .unwrap_or_default();
    let test = if test {
        tr!(locale, streaming.test_prefix)
    } else {
        ""
    };
    format!(
        "{test}{} · {} · {action}{customer}",
        event.occurred_at, event.partner_user
    )
}

fn chat_body(batch: &Batch<'_>, locale: Locale) -> Result<Vec<u8>, String> {
    let text: Vec<String> = batch
        .events
        .iter()
        .map(|event| chat_line(event, locale, batch.test))
        .collect();
    serde_json::to_vec(&serde_json::json!({ "text": text.join("\n") })).map_err(|error| error.to_string())
}

/// Facility 13 (log audit), severity 5 (notice).
const SYSLOG_PRIORITY: u8 = 13 * 8 + 5;
/// The structured data's id: `event@32473`, the enterprise number RFC 5612 keeps for
/// examples, until this product has its own.
const SD_ID: &str = "event@32473";

/// One event as an RFC 5424 message, its fields as structured data.
pub fn syslog_message(event: &FeedEvent, host: &str, test: bool) -> String {
    let details = serde_json::to_string(&event.details).unwrap_or_default();
    let position = event.chain_position.to_string();
    let customer_id = event.customer_id.map(|id| id.to_string());
    let mut params: Vec<(&str, &str)> = vec![
        ("id", &event.id),
        ("action", event.action),
        ("partner_user", &event.partner_user),
        ("chain_position", &position),
    ];
    if let Some(id) = &customer_id {
        params.push(("customer_id", id));
    }
    if let Some(name) = &event.customer_name {
        params.push(("customer_name", name));
    }
    if let Some(recorded_at) = &event.recorded_at {
        params.push(("recorded_at", recorded_at));
    }
    if let Some(hash) = &event.event_hash {
        params.push(("event_hash", hash));
    }
    params.push(("details", &details));
    if test {
        params.push(("test", "true"));
    }
    let data: String = params
        .iter()
        .map(|(name, value)| format!(" {name}=\"{}\"", sd_escape(value)))
        .collect();
    let text: String = event.action_text.chars().filter(|c| !c.is_control()).collect();
    format!(
        "<{SYSLOG_PRIORITY}>1 {} {host} activity-log - {} [{SD_ID}{data}] {text}",
        event.occurred_at, event.action
    )
}

/// RFC 5424 §6.3.3: `"`, `\` and `]` are escaped in a parameter's value.
fn sd_escape(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '"' | '\\' | ']') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// This machine's name for the HOSTNAME field, or `-` (RFC 5424's nil) when unknown.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| {
            name.trim()
                .chars()
                .filter(|c| c.is_ascii_graphic())
                .take(255)
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "-".into())
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= ERROR_CHARS {
        return text.to_string();
    }
    format!("{}…", text.chars().take(ERROR_CHARS).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structured_data_values_are_escaped() {
        assert_eq!(sd_escape(r#"a"b\c]d"#), r#"a\"b\\c\]d"#);
        assert_eq!(host_and_port("siem.example:6514"), Some(("siem.example", 6514)));
        assert_eq!(host_and_port("[::1]:6514"), Some(("[::1]", 6514)));
        assert_eq!(host_and_port("user@siem.example:6514"), None);
        assert_eq!(host_and_port("siem.example"), None);
    }
}
