//! Shared helpers for the black-box tests: running the built binary in an isolated home, and
//! wiremock doubles of the two login APIs.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine;
use wiremock::matchers::{body_json, header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const NOVA_USER: &str = "alice";
pub const NOVA_PASSWORD: &str = "nova-Secret-7f3a9";
pub const BACKREST_USER: &str = "gateway";
pub const BACKREST_PASSWORD: &str = "backrest-Secret-c41d2";

/// `login` arguments naming a Management Server (the password comes on stdin).
pub fn nova_login_args<'a>(id: &'a str, url: &'a str, username: &'a str) -> [&'a str; 8] {
    [
        "--kind",
        "novabackup",
        "--server-id",
        id,
        "--url",
        url,
        "--username",
        username,
    ]
}

/// A throwaway home with its own credentials file; every run of the binary is isolated in it.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    /// Every stdout/stderr the binary printed, for the "no secret in output" checks.
    pub transcript: std::cell::RefCell<String>,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
            transcript: Default::default(),
        }
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config").join("backup-mcp")
    }

    pub fn credentials(&self) -> PathBuf {
        self.config_dir().join("credentials.json")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_backup-mcp"));
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            // No keyring on test machines, and never the developer's real one.
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
            .env("BACKUP_MCP_TIMEOUT_SECONDS", "3")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs the binary with `stdin` piped in and records its output.
    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn backup-mcp");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().expect("wait");
        self.record(&out);
        out
    }

    pub fn run(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().expect("run backup-mcp");
        self.record(&out);
        out
    }

    fn record(&self, out: &Output) {
        let mut t = self.transcript.borrow_mut();
        t.push_str(&String::from_utf8_lossy(&out.stdout));
        t.push_str(&String::from_utf8_lossy(&out.stderr));
    }

    /// Fails the test if any known secret was ever printed.
    pub fn assert_no_secret_printed(&self) {
        let t = self.transcript.borrow();
        for secret in [NOVA_PASSWORD, BACKREST_PASSWORD, "wrong-password-9z"] {
            assert!(
                !t.contains(secret),
                "secret {secret:?} leaked into output:\n{t}"
            );
        }
    }

    /// `login` with the password on stdin, file store.
    pub fn login(&self, extra: &[&str], password: &str) -> Output {
        let mut args = vec!["login", "--password-stdin", "--credential-store", "file"];
        args.extend_from_slice(extra);
        self.run_with_stdin(&args, &format!("{password}\n"))
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[cfg(unix)]
pub fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// A compact JWT whose payload has `exp` one hour from now.
pub fn jwt(subject: &str) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    format!(
        "{}.{}.{}",
        b64.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        b64.encode(format!(r#"{{"sub":"{subject}","exp":{exp}}}"#)),
        b64.encode("signature")
    )
}

/// A Management Server login API under `/managementserver` accepting NOVA_USER/NOVA_PASSWORD.
pub async fn nova_login_double() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/managementserver/api/Account/Authenticate"))
        .and(body_json(
            serde_json::json!({"UserName": NOVA_USER, "Password": NOVA_PASSWORD}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/plain; charset=utf-8")
                .set_body_string(jwt(NOVA_USER)),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/managementserver/api/Account/Authenticate"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("content-type", "application/problem+json; charset=utf-8")
                .set_body_string(r#"{"title":"Unauthorized","status":401,"detail":"Invalid user name or password."}"#),
        )
        .with_priority(5)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/managementserver/api/Agents"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    // The data read of `backup-mcp test` (as `server_health` makes it).
    Mock::given(method("GET"))
        .and(path("/managementserver/api/Groups"))
        .and(header_exists("authorization"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"value": []})))
        .mount(&server)
        .await;
    server
}

/// A Backrest login API with authentication enabled, answering like the captured 1.14 server.
pub async fn backrest_auth_double() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.Authentication/Login"))
        .and(body_json(
            serde_json::json!({"username": BACKREST_USER, "password": BACKREST_PASSWORD}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"token": jwt(BACKREST_USER)})),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.Authentication/Login"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            serde_json::json!({"code": "unauthenticated", "message": "invalid password"}),
        ))
        .with_priority(5)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.Backrest/GetConfig"))
        .and(header_exists("authorization"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"modno": 1, "instance": "nas01"})),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.Backrest/GetConfig"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("content-type", "text/plain; charset=utf-8")
                .set_body_string("Unauthorized (No Authorization Header)\n"),
        )
        .with_priority(5)
        .mount(&server)
        .await;
    server
}

/// A Backrest with authentication disabled: everything open, and Login always 401.
pub async fn backrest_open_double() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.Authentication/Login"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            serde_json::json!({"code": "unauthenticated", "message": "invalid password"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.Backrest/GetConfig"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"modno": 1, "instance": "open01", "auth": {"disabled": true}}),
        ))
        .mount(&server)
        .await;
    server
}

/// A loopback port that refuses connections for as long as this value lives: the socket is
/// bound (so no other test's server can take the port) but never listens.
pub struct ClosedPort {
    pub port: u16,
    _socket: tokio::net::TcpSocket,
}

impl ClosedPort {
    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

/// A port that was free a moment ago (for a test that starts a server on it later; anything
/// may take it meanwhile, so prefer [`closed_port`] where the port must stay closed).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

pub fn closed_port() -> ClosedPort {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind("127.0.0.1:0".parse().unwrap()).expect("bind");
    let port = socket.local_addr().unwrap().port();
    ClosedPort {
        port,
        _socket: socket,
    }
}

pub mod backrest;
pub mod mcp;
pub mod pty;
pub mod stub;
pub mod tls;
