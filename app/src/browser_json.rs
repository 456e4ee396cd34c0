//! JSON that the browser reads: the server-function encoding of what the pages ask for (their
//! resources do the same with Leptos's `Resource::new_serde_wb`). On the wire it is
//! server_fn's JSON, byte for byte, so other clients and the tests see no difference; but the
//! wasm decodes it with the browser's own `JSON.parse` (through serde-wasm-bindgen) rather
//! than carrying a JSON parser: serde_json's would be a tenth of the wasm the log page needs
//! before it is interactive. Only the server encodes.

use bytes::Bytes;
use leptos::server_fn::codec::Post;
use leptos::server_fn::{ContentType, Decodes, Encodes, Format, FormatType};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The encoding; `#[server(output = BrowserJson)]` for a server function the pages call.
pub struct BrowserJsonEncoding;

/// A server function's answer as JSON, read by the browser's parser (see the module).
pub type BrowserJson = Post<BrowserJsonEncoding>;

impl ContentType for BrowserJsonEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for BrowserJsonEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for BrowserJsonEncoding {
    type Error = serde_json::Error;

    fn encode(value: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(value).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for BrowserJsonEncoding {
    type Error = String;

    #[cfg(feature = "hydrate")]
    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(|error| error.to_string())?;
        let value = js_sys::JSON::parse(text).map_err(|_| "the answer is not JSON".to_string())?;
        serde_wasm_bindgen::from_value(value).map_err(|error| error.to_string())
    }

    /// Off the browser (the server, tests): the same JSON through serde_json.
    #[cfg(not(feature = "hydrate"))]
    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        serde_json::from_slice(&bytes).map_err(|error| error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::AppError;

    #[test]
    fn what_it_encodes_is_server_fns_json_and_decodes_back() {
        let error = AppError::InvalidField {
            field: "to".into(),
            message: "From must be on or before To.".into(),
        };
        let ours = <BrowserJsonEncoding as Encodes<AppError>>::encode(&error).unwrap();
        let theirs = <leptos::server_fn::codec::JsonEncoding as Encodes<AppError>>::encode(&error).unwrap();
        assert_eq!(ours, theirs);
        assert_eq!(
            <BrowserJsonEncoding as Decodes<AppError>>::decode(ours).unwrap(),
            error
        );
    }
}
