//! Connect streaming envelopes (flag byte + 4-byte big-endian length + JSON) for GetLogs.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::errors::RpcError;

/// Flag of a data frame.
pub const FLAG_DATA: u8 = 0x00;
/// Flag of the end-of-stream frame.
pub const FLAG_END: u8 = 0x02;
/// Bytes of log text per data frame.
const CHUNK: usize = 1024;

/// Content type of Connect JSON streams.
pub const CONTENT_TYPE: &str = "application/connect+json";

/// Appends one frame.
pub fn push_frame(out: &mut Vec<u8>, flag: u8, payload: &Value) {
    let bytes = payload.to_string().into_bytes();
    out.push(flag);
    out.extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(&bytes);
}

/// Splits a body into `(flag, payload)` frames; `None` if the framing is broken.
pub fn parse_frames(mut body: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut frames = Vec::new();
    while !body.is_empty() {
        let (head, rest) = body.split_at_checked(5)?;
        let len = usize::try_from(u32::from_be_bytes([head[1], head[2], head[3], head[4]])).ok()?;
        let (payload, rest) = rest.split_at_checked(len)?;
        frames.push((head[0], payload));
        body = rest;
    }
    Some(frames)
}

/// The single request message of a server-streaming call.
pub fn request_message(body: &[u8]) -> Result<Value, RpcError> {
    let frames = parse_frames(body)
        .ok_or_else(|| RpcError::invalid("protocol error: incomplete envelope: unexpected EOF"))?;
    let [(FLAG_DATA, payload)] = frames.as_slice() else {
        return Err(RpcError::invalid(
            "protocol error: expected exactly one request message",
        ));
    };
    super::wire::parse_body(payload, "v1.LogDataRequest")
}

/// A whole response stream: data frames `{"value": base64}` then the end frame.
pub fn response(chunks: Result<&[u8], &RpcError>) -> Vec<u8> {
    let mut out = Vec::new();
    match chunks {
        Ok(text) => {
            for chunk in text.chunks(CHUNK) {
                push_frame(
                    &mut out,
                    FLAG_DATA,
                    &json!({"value": STANDARD.encode(chunk)}),
                );
            }
            push_frame(&mut out, FLAG_END, &json!({}));
        }
        Err(e) => push_frame(&mut out, FLAG_END, &json!({"error": e.to_json()})),
    }
    out
}
