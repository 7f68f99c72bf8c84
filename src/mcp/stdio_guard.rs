//! A guard in front of the MCP stdio transport, so every malformed line gets a JSON-RPC answer
//! instead of silence or a dropped connection:
//!
//! - invalid UTF-8, invalid JSON, nesting past serde_json's depth limit, or a line longer than
//!   [`MAX_LINE_BYTES`] get `-32700` with `id: null` (an over-long line is skipped as it streams
//!   in, never held whole);
//! - a known method whose `params` have the wrong shape gets `-32602` naming the parameter, where
//!   rmcp alone would answer `-32601` (it takes an unreadable request for an unknown method).
//!
//! Everything else passes to rmcp unchanged. Our answers and rmcp's share one writer, so lines
//! never interleave.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::mpsc;

/// The longest request line read; MCP requests are small, so this is generous.
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

/// Room for rmcp's side of the pipes.
const PIPE_BYTES: usize = 1024 * 1024;

/// The transport handed to rmcp, and the task that must be awaited after the session ends so the
/// last answers reach stdout.
pub struct Guarded {
    pub transport: (DuplexStream, DuplexStream),
    pub writer: tokio::task::JoinHandle<()>,
}

/// Starts the guard between `input`/`output` (the process's stdin/stdout) and rmcp.
pub fn guard<R, W>(input: R, output: W) -> Guarded
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (rmcp_in, to_rmcp) = tokio::io::duplex(PIPE_BYTES);
    let (rmcp_out, from_rmcp) = tokio::io::duplex(PIPE_BYTES);
    let (answers, answers_rx) = mpsc::unbounded_channel::<String>();
    tokio::spawn(read_requests(input, to_rmcp, answers));
    let writer = tokio::spawn(write_answers(from_rmcp, answers_rx, output));
    Guarded {
        transport: (rmcp_in, rmcp_out),
        writer,
    }
}

/// What one input line turned out to be.
#[derive(Debug, PartialEq)]
enum Verdict {
    /// For rmcp, as read.
    Pass,
    /// Answered here with this JSON-RPC error line.
    Answer(String),
    /// Nothing to do (a blank line).
    Skip,
}

async fn read_requests<R: AsyncRead + Unpin>(
    input: R,
    mut to_rmcp: DuplexStream,
    answers: mpsc::UnboundedSender<String>,
) {
    let mut reader = BufReader::with_capacity(64 * 1024, input);
    let mut line = Vec::with_capacity(4096);
    let mut overlong = false;
    loop {
        let (consumed, end_of_line) = match reader.fill_buf().await {
            Ok([]) | Err(_) => break,
            Ok(buf) => match buf.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    take(&mut line, &buf[..i], &mut overlong);
                    (i + 1, true)
                }
                None => {
                    take(&mut line, buf, &mut overlong);
                    (buf.len(), false)
                }
            },
        };
        reader.consume(consumed);
        if !end_of_line {
            continue;
        }
        let verdict = if overlong {
            Verdict::Answer(parse_error(&format!(
                "the request line is longer than {} MiB and was dropped",
                MAX_LINE_BYTES / 1024 / 1024
            )))
        } else {
            judge(&line)
        };
        match verdict {
            Verdict::Pass => {
                line.push(b'\n');
                if to_rmcp.write_all(&line).await.is_err() {
                    break;
                }
            }
            Verdict::Answer(answer) => {
                if answers.send(answer).is_err() {
                    break;
                }
            }
            Verdict::Skip => {}
        }
        line.clear();
        overlong = false;
    }
    // A last line without a newline is still a request.
    if !line.is_empty() && !overlong && judge(&line) == Verdict::Pass {
        line.push(b'\n');
        let _ = to_rmcp.write_all(&line).await;
    }
    let _ = to_rmcp.shutdown().await;
}

/// Appends `chunk` to the line unless that passes the limit, in which case the line is dropped
/// and the rest of it is skipped.
fn take(line: &mut Vec<u8>, chunk: &[u8], overlong: &mut bool) {
    if *overlong {
        return;
    }
    if line.len() + chunk.len() > MAX_LINE_BYTES {
        *overlong = true;
        line.clear();
        line.shrink_to(4096);
        return;
    }
    line.extend_from_slice(chunk);
}

/// Decides what to do with one complete line.
fn judge(raw: &[u8]) -> Verdict {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Verdict::Skip;
    }
    let Ok(text) = std::str::from_utf8(raw) else {
        return Verdict::Answer(parse_error("the request is not valid UTF-8"));
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Verdict::Answer(parse_error(&format!("the request is not valid JSON: {e}")));
        }
    };
    match params_problem(&value) {
        Some((id, why)) => Verdict::Answer(
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32602, "message": why}})
                .to_string(),
        ),
        None => Verdict::Pass,
    }
}

/// For a request to a method we serve, whether its `params` fail to read as that method's
/// parameters; returns the request id and a message naming the parameter.
fn params_problem(value: &Value) -> Option<(Value, String)> {
    let object = value.as_object()?;
    let id = object.get("id")?.clone();
    let method = object.get("method")?.as_str()?;
    let params = object.get("params").cloned();
    use rmcp::model as m;
    // Logging is deprecated after 2025-11-25 but still part of the versions we speak.
    #[allow(deprecated)]
    let problem = match method {
        "initialize" => check::<m::InitializeRequestParams>(params, true),
        "tools/call" => check::<m::CallToolRequestParams>(params, true),
        "prompts/get" => check::<m::GetPromptRequestParams>(params, true),
        "logging/setLevel" => check::<m::SetLevelRequestParams>(params, true),
        "resources/read" => check::<m::ReadResourceRequestParams>(params, true),
        "completion/complete" => check::<m::CompleteRequestParams>(params, true),
        "tools/list" | "prompts/list" | "resources/list" | "resources/templates/list" => {
            check::<m::PaginatedRequestParams>(params, false)
        }
        _ => None,
    }?;
    Some((id, format!("invalid params for {method}: {problem}")))
}

/// Why `params` do not read as `T` (`required`: the method needs params), naming the path.
fn check<T: DeserializeOwned>(params: Option<Value>, required: bool) -> Option<String> {
    let params = match params {
        None | Some(Value::Null) if required => return Some("params are required".into()),
        None | Some(Value::Null) => return None,
        Some(p) => p,
    };
    if !params.is_object() {
        return Some("params must be an object".into());
    }
    match serde_path_to_error::deserialize::<_, T>(params) {
        Ok(_) => None,
        Err(e) => {
            let path = e.path().to_string();
            let inner = super::errors::bounded_message(&e.inner().to_string());
            Some(if path == "." {
                inner
            } else {
                format!("parameter {path}: {inner}")
            })
        }
    }
}

fn parse_error(message: &str) -> String {
    json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": super::errors::bounded_message(message)}})
        .to_string()
}

/// Writes rmcp's lines and the guard's answers to `output`, one whole line at a time.
async fn write_answers<W: AsyncWrite + Unpin>(
    from_rmcp: DuplexStream,
    mut answers: mpsc::UnboundedReceiver<String>,
    mut output: W,
) {
    let mut rmcp_lines = BufReader::new(from_rmcp);
    let mut line = Vec::new();
    let mut rmcp_open = true;
    let mut answers_open = true;
    while rmcp_open || answers_open {
        tokio::select! {
            read = rmcp_lines.read_until(b'\n', &mut line), if rmcp_open => {
                match read {
                    Ok(0) | Err(_) => rmcp_open = false,
                    Ok(_) => {
                        if output.write_all(&line).await.is_err() {
                            return;
                        }
                        line.clear();
                    }
                }
            }
            answer = answers.recv(), if answers_open => match answer {
                Some(mut answer) => {
                    answer.push('\n');
                    if output.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
                None => answers_open = false,
            },
        }
        if output.flush().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(v: Verdict) -> Value {
        match v {
            Verdict::Answer(line) => serde_json::from_str(&line).unwrap(),
            other => panic!("expected an answer, got {other:?}"),
        }
    }

    #[test]
    fn malformed_lines_get_parse_errors_with_null_id() {
        for bad in [&b"not json"[..], b"\xff\xfe", b"{\"jsonrpc\":"] {
            let a = answer(judge(bad));
            assert_eq!(a["error"]["code"], -32700);
            assert!(a["id"].is_null());
        }
        let deep = "[".repeat(10_000);
        assert_eq!(answer(judge(deep.as_bytes()))["error"]["code"], -32700);
        assert_eq!(judge(b"  \r"), Verdict::Skip);
    }

    #[test]
    fn wrong_params_of_known_methods_name_the_parameter() {
        let a = answer(judge(
            br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":5}}"#,
        ));
        assert_eq!(a["error"]["code"], -32602);
        assert_eq!(a["id"], 3);
        assert!(a["error"]["message"].as_str().unwrap().contains("name"));
        let a = answer(judge(
            br#"{"jsonrpc":"2.0","id":"x","method":"tools/call","params":[1]}"#,
        ));
        assert_eq!(a["error"]["code"], -32602);
        let ok =
            br#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"system_info"}}"#;
        assert_eq!(judge(ok), Verdict::Pass);
        let unknown = br#"{"jsonrpc":"2.0","id":5,"method":"bogus","params":[1]}"#;
        assert_eq!(judge(unknown), Verdict::Pass);
        assert_eq!(
            judge(br#"{"jsonrpc":"2.0","id":6,"method":"tools/list"}"#),
            Verdict::Pass
        );
    }
}
