//! `GET /api/v1/tile/<L>/<N>[.p/<W>]`: the partner's Merkle tree as C2SP tlog-tiles serves
//! it, under an `events:read` token, so a generic tile client can fetch the tree and check
//! it against a signed checkpoint itself. `N` is written in 3-digit path elements, all but
//! the last prefixed with `x` (tile 1234067 is `x001/x234/067`); `.p/W` asks for the first
//! W hashes of a tile not yet full. (The entry bundles, `tile/entries/…`, are not served: an
//! event's bytes come from the read API.)

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::handler::reader;
use crate::errors::AppError;
use crate::integrity::merkle::TILE_WIDTH;
use crate::integrity::tree;
use crate::state::AppState;

/// The route, its last part the C2SP tile path after `tile/`.
pub const TILE_ROUTE: &str = "/api/v1/tile/{*path}";

/// (level, index, width) of a C2SP tile path after `tile/`, e.g. `0/x001/234.p/5`.
pub fn parse_tile_path(path: &str) -> Option<(u8, u64, u64)> {
    let (path, width) = match path.split_once(".p/") {
        Some((path, width)) => {
            let width: u64 = width
                .parse()
                .ok()
                .filter(|width| (1..TILE_WIDTH).contains(width))?;
            (path, width)
        }
        None => (path, TILE_WIDTH),
    };
    let mut parts = path.split('/');
    let level: u8 = parts.next()?.parse().ok().filter(|level| *level < 8)?;
    let elements: Vec<&str> = parts.collect();
    let (last, leading) = elements.split_last()?;
    let mut index: u64 = 0;
    for element in leading {
        index = index
            .checked_mul(1000)?
            .checked_add(three_digits(element.strip_prefix('x')?)?)?;
    }
    index = index.checked_mul(1000)?.checked_add(three_digits(last)?)?;
    Some((level, index, width))
}

fn three_digits(text: &str) -> Option<u64> {
    (text.len() == 3 && text.bytes().all(|byte| byte.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

pub async fn tile(State(state): State<AppState>, headers: HeaderMap, Path(path): Path<String>) -> Response {
    let answer = async {
        let token = reader(&state, &headers).await?;
        let (level, index, width) = parse_tile_path(&path).ok_or_else(|| {
            AppError::NotFound(format!(
                "tile/{path} is not a tile path (C2SP tlog-tiles: tile/<L>/<N>[.p/<W>], N as x001/234)"
            ))
        })?;
        let hashes = tree::tile(&state.pool, token.partner_id, level, index).await?;
        let wanted = width as usize * 32;
        // A tile holds its hashes from the start: a narrower one is a prefix of it.
        hashes
            .filter(|hashes| hashes.len() >= wanted)
            .map(|mut hashes| {
                hashes.truncate(wanted);
                hashes
            })
            .ok_or_else(|| AppError::NotFound(format!("tile/{path} is not in the tree yet")))
    };
    match answer.await {
        Ok(hashes) => (
            [
                (axum::http::header::CONTENT_TYPE, "application/octet-stream"),
                // A full tile never changes; a partial one is a snapshot of its size.
                (
                    axum::http::header::CACHE_CONTROL,
                    "private, max-age=86400, immutable",
                ),
            ],
            hashes,
        )
            .into_response(),
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_paths_are_read_as_c2sp_writes_them() {
        assert_eq!(parse_tile_path("0/000"), Some((0, 0, 256)));
        assert_eq!(parse_tile_path("0/x001/x234/067"), Some((0, 1_234_067, 256)));
        assert_eq!(parse_tile_path("1/x001/234.p/5"), Some((1, 1234, 5)));
        for bad in [
            "",
            "0",
            "0/1",
            "0/0001",
            "0/x1/000",
            "0/001/x002",
            "9/000",
            "0/000.p/0",
            "0/000.p/256",
            "0/000.p/x",
            "entries/000",
        ] {
            assert_eq!(parse_tile_path(bad), None, "{bad}");
        }
    }
}
