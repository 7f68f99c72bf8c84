//! The Connect server-stream framing `GetLogs` uses (`application/connect+json`): each frame is
//! one flag byte, a 4-byte big-endian length and a JSON payload. Data frames carry base64 chunks
//! of log text; the end frame (flag `0x02`) may carry the call's only error.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

pub const CONTENT_TYPE: &str = "application/connect+json";
const FLAG_END: u8 = 0x02;
const FLAG_COMPRESSED: u8 = 0x01;

/// One request frame holding `message`.
pub fn request_frame(message: &Value) -> bytes::Bytes {
    let payload = message.to_string().into_bytes();
    let mut out = Vec::with_capacity(payload.len() + 5);
    out.push(0);
    out.extend_from_slice(
        &u32::try_from(payload.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    out.extend_from_slice(&payload);
    out.into()
}

/// What a log stream held.
#[derive(Debug, Default)]
pub struct LogText {
    /// The last `max_bytes` of the text (lossy UTF-8).
    pub text: String,
    pub total_bytes: usize,
    pub truncated: bool,
}

/// Why a stream could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StreamError {
    #[error("the stream was cut off inside a frame")]
    Truncated,
    #[error("compressed frames are not supported")]
    Compressed,
    #[error("a frame is not valid JSON or base64: {0}")]
    BadFrame(String),
    /// The end frame's error: (code, raw message).
    #[error("{0}: {1}")]
    Failed(String, String),
}

/// Decodes a whole response body, keeping the tail of at most `max_bytes` bytes of text.
pub fn read_log(body: &[u8], max_bytes: usize) -> Result<LogText, StreamError> {
    let mut tail: Vec<u8> = Vec::new();
    let mut total = 0usize;
    let mut rest = body;
    while !rest.is_empty() {
        if rest.len() < 5 {
            return Err(StreamError::Truncated);
        }
        let flag = rest[0];
        let len = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        let payload = rest.get(5..5 + len).ok_or(StreamError::Truncated)?;
        rest = &rest[5 + len..];
        if flag & FLAG_COMPRESSED != 0 {
            return Err(StreamError::Compressed);
        }
        let message: Value =
            serde_json::from_slice(payload).map_err(|e| StreamError::BadFrame(e.to_string()))?;
        if flag & FLAG_END != 0 {
            if let Some(err) = message.get("error") {
                let field = |k: &str| err.get(k).and_then(Value::as_str).unwrap_or_default();
                return Err(StreamError::Failed(
                    field("code").to_owned(),
                    field("message").to_owned(),
                ));
            }
            break;
        }
        let chunk = message.get("value").and_then(Value::as_str).unwrap_or("");
        let bytes = STANDARD
            .decode(chunk)
            .map_err(|e| StreamError::BadFrame(e.to_string()))?;
        total += bytes.len();
        tail.extend_from_slice(&bytes);
        if tail.len() > max_bytes.saturating_mul(2).max(64 * 1024) {
            tail.drain(..tail.len() - max_bytes);
        }
    }
    let truncated = tail.len() > max_bytes;
    if truncated {
        tail.drain(..tail.len() - max_bytes);
    }
    Ok(LogText {
        text: String::from_utf8_lossy(&tail).into_owned(),
        total_bytes: total,
        truncated: truncated || total > tail.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn frame(flag: u8, v: Value) -> Vec<u8> {
        let mut f = request_frame(&v).to_vec();
        f[0] = flag;
        f
    }

    #[test]
    fn chunks_are_joined_and_the_tail_kept() {
        let mut body = frame(0, json!({"value": STANDARD.encode("hello ")}));
        body.extend(frame(0, json!({"value": STANDARD.encode("world\n")})));
        body.extend(frame(2, json!({})));
        let log = read_log(&body, 1000).unwrap();
        assert_eq!(log.text, "hello world\n");
        assert!(!log.truncated);
        let log = read_log(&body, 6).unwrap();
        assert_eq!(log.text, "world\n");
        assert!(log.truncated);
        assert_eq!(log.total_bytes, 12);
    }

    #[test]
    fn errors_come_only_in_the_end_frame() {
        let body = frame(
            2,
            json!({"error": {"code": "unknown", "message": "get log data: EOF"}}),
        );
        assert_eq!(
            read_log(&body, 10).unwrap_err(),
            StreamError::Failed("unknown".into(), "get log data: EOF".into())
        );
        assert_eq!(
            read_log(&[0, 0, 0], 10).unwrap_err(),
            StreamError::Truncated
        );
    }
}
