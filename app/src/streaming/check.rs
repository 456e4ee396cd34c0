//! Whether a destination's target is one the server may send to: https (webhook, chat) or
//! host:port (syslog over TLS), no credentials in it, and not inward (`guard`).

use super::guard;
use super::model::DestinationKind;
use super::send::host_and_port;

/// Longest target, in bytes.
const MAX_TARGET: usize = 2000;

/// `Ok` when `target` suits `kind`, else why not, in words for the field's message.
pub async fn target(kind: DestinationKind, target: &str, allow_internal: bool) -> Result<(), String> {
    if target.is_empty()
        || target.len() > MAX_TARGET
        || target.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err("empty, too long or has spaces".into());
    }
    let (host, port) = match kind {
        DestinationKind::Webhook | DestinationKind::Chat => {
            let url = reqwest::Url::parse(target).map_err(|error| format!("not a URL ({error})"))?;
            if url.scheme() != "https" {
                return Err("must start with https://".into());
            }
            if !url.username().is_empty() || url.password().is_some() {
                return Err("must not carry a user name or password".into());
            }
            let host = url.host_str().ok_or("has no host")?.to_string();
            (host, url.port_or_known_default().unwrap_or(443))
        }
        DestinationKind::Syslog => {
            let (host, port) =
                host_and_port(target).ok_or("must be host:port, e.g. siem.example.com:6514")?;
            (host.to_string(), port)
        }
    };
    guard::resolve(&host, port, allow_internal).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_https_without_credentials_and_never_inward() {
        let webhook = DestinationKind::Webhook;
        for (bad, why) in [
            ("http://siem.example.com/hook", "https://"),
            ("https://user:pass@siem.example.com/hook", "user name"),
            ("https://127.0.0.1/hook", "allow_private_networks"),
            ("https://10.0.0.8/hook", "allow_private_networks"),
            (
                "https://169.254.169.254/latest/meta-data",
                "allow_private_networks",
            ),
            ("https://[::1]:8443/hook", "allow_private_networks"),
            ("https://localhost/hook", "allow_private_networks"),
            ("not a url", "spaces"),
        ] {
            let refused = target(webhook, bad, false).await.unwrap_err();
            assert!(refused.contains(why), "{bad}: {refused}");
        }
        assert!(target(webhook, "https://127.0.0.1:8443/hook", true).await.is_ok());
        let syslog = DestinationKind::Syslog;
        assert!(
            target(syslog, "siem.example.com", false)
                .await
                .unwrap_err()
                .contains("host:port")
        );
        assert!(
            target(syslog, "127.0.0.1:6514", false)
                .await
                .unwrap_err()
                .contains("allow_private_networks")
        );
        assert!(target(syslog, "127.0.0.1:6514", true).await.is_ok());
    }
}
