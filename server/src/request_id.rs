//! Every request gets an id: the one a trusted reverse proxy sent in `X-Request-Id` (when it is
//! a plain token), else a new one. It is echoed in the response's `X-Request-Id` and is a
//! field of the `request` span around the request, so every log line written while the
//! request is handled carries it (the error line of a 500 too). An id from anyone else, or
//! one that is long or holds other characters, is replaced: what a client writes never
//! reaches the logs raw.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use rand::Rng;
use tracing::Instrument;

pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// Longest id taken from a proxy (a UUID is 36).
const MAX_ID_CHARS: usize = 64;

/// The reverse proxies whose `X-Request-Id` is kept (`network.trusted_proxies`).
#[derive(Clone)]
pub struct TrustedProxies(pub Arc<Vec<IpNet>>);

pub async fn with_request_id(
    State(trusted): State<TrustedProxies>,
    request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    let from_proxy = peer
        .filter(|peer| trusted.0.iter().any(|net| net.contains(peer)))
        .and_then(|_| request.headers().get(REQUEST_ID_HEADER))
        .and_then(|value| value.to_str().ok())
        .filter(|id| is_plain_id(id));
    let id = from_proxy.map_or_else(new_id, str::to_string);
    let span = tracing::info_span!("request", id = %id);
    let mut response = next.run(request).instrument(span).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// 1 to 64 characters of letters, digits, `-`, `_`, `.` and `:` (UUIDs, ULIDs, haproxy's
/// `%{+X}o` ids, W3C trace ids).
fn is_plain_id(id: &str) -> bool {
    (1..=MAX_ID_CHARS).contains(&id.len())
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b':'))
}

/// 16 hex digits, random: unique enough to find one request's lines among a day's.
fn new_id() -> String {
    format!("{:016x}", rand::thread_rng().r#gen::<u64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_short_ids_are_kept() {
        for kept in ["3f2b8c1e-0c1d-4a5b-9f00-1234567890ab", "req.42", "a", "01HZX:7"] {
            assert!(is_plain_id(kept), "{kept}");
        }
        for refused in [
            "",
            "a b",
            "x\r\nforged: line",
            "é",
            &"a".repeat(65),
            "<script>",
            "a\"b",
        ] {
            assert!(!is_plain_id(refused), "{refused:?}");
        }
        let id = new_id();
        assert_eq!(id.len(), 16);
        assert!(is_plain_id(&id));
    }
}
