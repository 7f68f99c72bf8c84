//! `login` against servers behind TLS: a self-signed certificate given with `--ca-cert` is pinned,
//! `--tls-fingerprint` pins by hash and fails closed on any other certificate, and the pin stays
//! with the saved server for every later command.

mod common;

use common::*;

fn nova_login(sb: &Sandbox, id: &str, port: u16, extra: &[&str]) -> std::process::Output {
    let url = format!("https://127.0.0.1:{port}/managementserver");
    let mut args = nova_login_args(id, &url, NOVA_USER).to_vec();
    args.extend_from_slice(extra);
    sb.login(&args, NOVA_PASSWORD)
}

fn saved(sb: &Sandbox) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(sb.credentials()).unwrap()).unwrap()
}

/// One line of the CLI's own, never a tracing line (`WARN`, rustls' "Sending fatal alert").
fn assert_one_message(err: &str) {
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("backup-mcp: "), "{err}");
    assert!(!err.contains("WARN") && !err.contains("alert"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_self_signed_certificate_given_with_ca_cert_is_pinned() {
    let stub = tls::start_self_signed().await;
    let sb = Sandbox::new();

    let out = nova_login(&sb, "self", stub.port, &[]);
    assert!(
        !out.status.success(),
        "an unknown certificate must not be trusted"
    );
    let err = stderr(&out);
    assert!(
        err.contains("--ca-cert") && err.contains("--tls-fingerprint"),
        "{err}"
    );
    assert_one_message(&err);

    let pem = sb.dir.path().join("server.pem");
    std::fs::write(&pem, &stub.ca_pem).unwrap();
    let pem_arg = pem.display().to_string();
    let out = nova_login(&sb, "self", stub.port, &["--ca-cert", &pem_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::remove_file(&pem).unwrap();

    // Saved with the entry: `test` (the MCP server's own connection code) trusts it too.
    let out = sb.run(&["test", "self"]);
    assert!(out.status.success(), "{}", stdout(&out));
    sb.assert_no_secret_printed();
}

#[tokio::test(flavor = "multi_thread")]
async fn another_certificate_given_with_ca_cert_is_still_refused() {
    let stub = tls::start_self_signed().await;
    let other = tls::start_self_signed().await;
    let sb = Sandbox::new();
    let pem = sb.dir.path().join("other.pem");
    std::fs::write(&pem, &other.ca_pem).unwrap();
    let pem_arg = pem.display().to_string();
    let out = nova_login(&sb, "self", stub.port, &["--ca-cert", &pem_arg]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("TLS handshake"), "{}", stderr(&out));
    assert!(!sb.credentials().exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fingerprint_pin_is_checked_saved_and_enforced() {
    let stub = tls::start_self_signed().await;
    let sb = Sandbox::new();
    let right = stub.fingerprint();
    let out = nova_login(&sb, "pinned", stub.port, &["--tls-fingerprint", &right]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(saved(&sb)["servers"][0]["tls_fingerprint"], right.as_str());
    let list: serde_json::Value =
        serde_json::from_slice(&sb.run(&["list", "--json"]).stdout).unwrap();
    assert_eq!(list[0]["tls_fingerprint"], right.as_str());
    assert!(sb.run(&["test", "pinned"]).status.success());

    // openssl's spelling (upper case, colons) names the same pin.
    let openssl = right.as_bytes()[7..]
        .chunks(2)
        .map(|p| std::str::from_utf8(p).unwrap().to_uppercase())
        .collect::<Vec<_>>()
        .join(":");
    let out = nova_login(
        &sb,
        "pinned2",
        stub.port,
        &["--tls-fingerprint", &format!("sha256:{openssl}")],
    );
    assert!(out.status.success(), "{}", stderr(&out));

    let wrong = format!("sha256:{}", "ab".repeat(32));
    let out = nova_login(&sb, "wrong", stub.port, &["--tls-fingerprint", &wrong]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&format!("fingerprint {right}, not the pinned {wrong}")),
        "{err}"
    );
    assert!(err.contains("nothing was saved"), "{err}");
    assert_one_message(&err);
    assert_eq!(saved(&sb)["servers"].as_array().unwrap().len(), 2);

    // A saved pin that no longer matches fails closed in every later connection.
    let mut file = saved(&sb);
    file["servers"][0]["tls_fingerprint"] = wrong.clone().into();
    std::fs::write(sb.credentials(), serde_json::to_vec(&file).unwrap()).unwrap();
    let out = sb.run(&["test", "pinned"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("not the pinned"), "{}", stdout(&out));
    sb.assert_no_secret_printed();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fingerprint_that_is_not_one_is_a_usage_error() {
    let sb = Sandbox::new();
    // Refused while parsing the arguments, before any password is read.
    let out = sb.run(&[
        "login",
        "--server-id",
        "x",
        "--tls-fingerprint",
        "sha256:abc",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("64 hex digits"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_ca_still_works_as_a_ca() {
    // The CA signed the server's certificate; it is not the presented certificate itself.
    let stub = tls::start().await;
    let sb = Sandbox::new();
    let pem = sb.dir.path().join("ca.pem");
    std::fs::write(&pem, &stub.ca_pem).unwrap();
    let pem_arg = pem.display().to_string();
    let out = nova_login(&sb, "ca", stub.port, &["--ca-cert", &pem_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copied_certificate_without_its_key_is_refused_under_either_pin() {
    let real = tls::start_self_signed().await;
    let impostor = tls::start_impostor(real.server_der.clone()).await;
    assert_eq!(impostor.fingerprint(), real.fingerprint());
    let sb = Sandbox::new();
    let pem = sb.dir.path().join("server.pem");
    std::fs::write(&pem, &real.ca_pem).unwrap();
    let pem_arg = pem.display().to_string();
    let fingerprint = real.fingerprint();
    for pin in [["--ca-cert", &pem_arg], ["--tls-fingerprint", &fingerprint]] {
        let out = nova_login(&sb, "mitm", impostor.port, &pin);
        assert!(!out.status.success(), "{pin:?} accepted an impostor");
        let err = stderr(&out);
        assert!(err.contains("did not prove it holds the key"), "{err}");
        assert!(!err.contains("not the pinned"), "{err}");
        assert_one_message(&err);
    }
    assert!(!sb.credentials().exists());
    sb.assert_no_secret_printed();
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_connects_with_the_saved_pin() {
    let stub = tls::start_self_signed().await;
    let sb = Sandbox::new();
    let fingerprint = stub.fingerprint();
    let out = nova_login(
        &sb,
        "pinned",
        stub.port,
        &["--tls-fingerprint", &fingerprint],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let env = [(
        "BACKUP_MCP_CREDENTIALS_FILE",
        sb.credentials().display().to_string(),
    )];
    let log = sb.dir.path().join("serve.log");
    let client = common::mcp::spawn(&["serve"], &env, &log).await;
    let health = common::mcp::call_ok(&client, "server_health", serde_json::json!({})).await;
    assert_eq!(health["_meta"]["servers_succeeded"], 1, "{health}");
    client.cancel().await.unwrap();
}
