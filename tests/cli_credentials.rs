//! Black-box tests of `login`, `list`, `test`, `logout` and `import-novabackup` against wiremock
//! doubles of the two login APIs, with real files in temp dirs.

mod common;

use common::*;

fn nova_args(server: &wiremock::MockServer, id: &str) -> Vec<String> {
    let url = format!("{}/managementserver/", server.uri());
    nova_login_args(id, &url, NOVA_USER)
        .map(String::from)
        .to_vec()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn novabackup_login_list_test_logout_round_trip() {
    let server = nova_login_double().await;
    let sb = Sandbox::new();

    let out = sb.login(&strs(&nova_args(&server, "ms1")), NOVA_PASSWORD);
    assert!(out.status.success(), "login failed: {}", stderr(&out));
    assert!(stdout(&out).contains("Saved ms1"));
    assert!(
        !stderr(&out).contains("note:"),
        "no fallback note with an explicit file store"
    );

    assert_eq!(mode(&sb.credentials()), 0o600);
    assert_eq!(mode(&sb.config_dir()), 0o700);
    let raw = std::fs::read_to_string(sb.credentials()).unwrap();
    let file: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(file["version"], 1);
    assert_eq!(file["servers"][0]["kind"], "novabackup");
    assert_eq!(file["servers"][0]["secret"]["store"], "file");

    let out = sb.run(&["list", "--json"]);
    assert!(out.status.success());
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["server_id"], "ms1");
    assert_eq!(list[0]["username"], NOVA_USER);
    assert_eq!(list[0]["credential_store"], "file");

    let out = sb.run(&["list"]);
    assert!(stdout(&out).contains("SERVER_ID") && stdout(&out).contains("ms1"));

    let out = sb.run(&["test"]);
    assert!(out.status.success(), "test failed: {}", stdout(&out));
    assert!(stdout(&out).contains("ms1") && stdout(&out).contains("OK"));

    let out = sb.run(&["logout", "ms1"]);
    assert!(out.status.success());
    let out = sb.run(&["list", "--json"]);
    assert_eq!(stdout(&out).trim(), "[]");
    sb.assert_no_secret_printed();
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_password_saves_nothing_and_fails() {
    let server = nova_login_double().await;
    let sb = Sandbox::new();
    let out = sb.login(&strs(&nova_args(&server, "ms1")), "wrong-password-9z");
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("rejected the credentials"), "{err}");
    assert!(err.contains("Invalid user name or password."), "{err}");
    assert!(err.contains("nothing was saved"), "{err}");
    assert!(!sb.credentials().exists());

    // An existing entry is left exactly as it was.
    sb.login(&strs(&nova_args(&server, "ms1")), NOVA_PASSWORD);
    let before = std::fs::read(sb.credentials()).unwrap();
    let out = sb.login(&strs(&nova_args(&server, "ms1")), "wrong-password-9z");
    assert!(!out.status.success());
    assert_eq!(std::fs::read(sb.credentials()).unwrap(), before);
    sb.assert_no_secret_printed();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_others_can_read_is_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let server = nova_login_double().await;
    let sb = Sandbox::new();
    sb.login(&strs(&nova_args(&server, "ms1")), NOVA_PASSWORD);
    std::fs::set_permissions(sb.credentials(), std::fs::Permissions::from_mode(0o644)).unwrap();
    for args in [&["list"][..], &["test"], &["logout", "ms1"]] {
        let out = sb.run(args);
        assert!(!out.status.success(), "{args:?} should refuse");
        let err = stderr(&out);
        assert!(err.contains("chmod 600"), "{err}");
        assert!(
            err.contains(&sb.credentials().display().to_string()),
            "{err}"
        );
    }
    let out = sb.login(&strs(&nova_args(&server, "ms2")), NOVA_PASSWORD);
    assert!(!out.status.success());
    assert_eq!(
        mode(&sb.credentials()),
        0o644,
        "login must not silently re-mode the file"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_file_is_named_and_never_overwritten() {
    use std::os::unix::fs::PermissionsExt;
    let server = nova_login_double().await;
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.config_dir()).unwrap();
    let garbage =
        b"{\"version\": 1, \"servers\": [ {\"server_id\": \"x\", \"password\": \"hunter2-in-file\"";
    std::fs::write(sb.credentials(), garbage).unwrap();
    std::fs::set_permissions(sb.credentials(), std::fs::Permissions::from_mode(0o600)).unwrap();

    let out = sb.run(&["list"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("corrupt") && err.contains("credentials.json"),
        "{err}"
    );
    assert!(!err.contains("hunter2-in-file"));

    let out = sb.login(&strs(&nova_args(&server, "ms1")), NOVA_PASSWORD);
    assert!(!out.status.success());
    assert_eq!(std::fs::read(sb.credentials()).unwrap(), garbage);

    std::fs::write(sb.credentials(), br#"{"version": 9, "servers": []}"#).unwrap();
    let err = stderr(&sb.run(&["list"]));
    assert!(err.contains("version 9"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_existing_directory_keeps_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let server = nova_login_double().await;
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.config_dir()).unwrap();
    std::fs::set_permissions(sb.config_dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = sb.login(&strs(&nova_args(&server, "ms1")), NOVA_PASSWORD);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&sb.config_dir()), 0o755);
    assert_eq!(mode(&sb.credentials()), 0o600);
}

#[test]
fn without_a_terminal_a_missing_value_names_its_flag() {
    let sb = Sandbox::new();
    let out = sb.run(&["login", "--server-id", "ms1", "--credential-store", "file"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--url"), "{}", stderr(&out));

    let out = sb.run(&[
        "login",
        "--url",
        "http://127.0.0.1:1/",
        "--kind",
        "novabackup",
    ]);
    assert!(stderr(&out).contains("--server-id"), "{}", stderr(&out));

    let out = sb.run(&[
        "login",
        "--server-id",
        "ms1",
        "--url",
        "http://127.0.0.1:1/",
        "--kind",
        "novabackup",
        "--username",
        "u",
    ]);
    assert!(
        stderr(&out).contains("--password-stdin"),
        "{}",
        stderr(&out)
    );
    assert!(!sb.credentials().exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn password_may_come_from_the_environment() {
    let server = nova_login_double().await;
    let sb = Sandbox::new();
    let mut args = vec![
        "login".to_owned(),
        "--credential-store".into(),
        "file".into(),
    ];
    args.extend(nova_args(&server, "ms1"));
    let out = sb
        .command(&strs(&args))
        .env("BACKUP_MCP_PASSWORD", NOVA_PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn test_reports_every_server_and_fails_if_one_does() {
    let server = nova_login_double().await;
    let sb = Sandbox::new();
    sb.login(&strs(&nova_args(&server, "good")), NOVA_PASSWORD);
    sb.login(&strs(&nova_args(&server, "gone")), NOVA_PASSWORD);
    // Point "gone" at a port nobody listens on, as if the server went away.
    let raw = std::fs::read_to_string(sb.credentials()).unwrap();
    let mut file: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let gone = closed_port();
    file["servers"][1]["base_url"] = gone.url("/managementserver").into();
    std::fs::write(sb.credentials(), serde_json::to_vec(&file).unwrap()).unwrap();

    let out = sb.run(&["test"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let good = text
        .lines()
        .find(|l| l.starts_with("good"))
        .expect("a line for good");
    let gone = text
        .lines()
        .find(|l| l.starts_with("gone"))
        .expect("a line for gone");
    assert!(good.contains(" OK ") && good.contains(" ms"), "{good}");
    assert!(
        gone.contains("FAILED") && gone.contains("unreachable"),
        "{gone}"
    );

    let out = sb.run(&["test", "good"]);
    assert!(out.status.success());
    let out = sb.run(&["test", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nope"));
    sb.assert_no_secret_printed();
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_of_an_unknown_id_fails() {
    let sb = Sandbox::new();
    let out = sb.run(&["logout", "ghost"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("ghost"));
}

#[tokio::test(flavor = "multi_thread")]
async fn backrest_with_auth_enabled_and_disabled() {
    let secured = backrest_auth_double().await;
    let open = backrest_open_double().await;
    let sb = Sandbox::new();
    let secured_url = secured.uri();
    let out = sb.login(
        &[
            "--kind",
            "backrest",
            "--server-id",
            "nas01",
            "--url",
            &secured_url,
            "--username",
            BACKREST_USER,
            "--tenant",
            "acme",
        ],
        BACKREST_PASSWORD,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = sb.login(
        &[
            "--kind",
            "backrest",
            "--server-id",
            "nas01",
            "--url",
            &secured_url,
            "--username",
            BACKREST_USER,
        ],
        "wrong-password-9z",
    );
    assert!(!out.status.success());

    let open_url = open.uri();
    let out = sb.run(&[
        "login",
        "--kind",
        "backrest",
        "--server-id",
        "open01",
        "--url",
        &open_url,
        "--username",
        "",
        "--credential-store",
        "file",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("no password needed"));

    // A username against an open Backrest: say that auth is off.
    let out = sb.login(
        &[
            "--kind",
            "backrest",
            "--server-id",
            "open02",
            "--url",
            &open_url,
            "--username",
            "admin",
        ],
        "whatever",
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("authentication is disabled"),
        "{}",
        stderr(&out)
    );
    // And no username against a secured one: say that it needs one.
    let out = sb.run(&[
        "login",
        "--kind",
        "backrest",
        "--server-id",
        "sec2",
        "--url",
        &secured_url,
        "--username",
        "",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("authentication enabled"),
        "{}",
        stderr(&out)
    );

    let list: serde_json::Value =
        serde_json::from_slice(&sb.run(&["list", "--json"]).stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["tenant_id"], "acme");
    assert_eq!(list[1]["credential_store"], "none");
    assert!(sb.run(&["test"]).status.success());
    sb.assert_no_secret_printed();
}

#[tokio::test(flavor = "multi_thread")]
async fn kind_is_detected_when_omitted() {
    let nova = nova_login_double().await;
    let backrest = backrest_auth_double().await;
    let sb = Sandbox::new();
    let url = format!("{}/managementserver", nova.uri());
    let out = sb.login(
        &["--server-id", "ms1", "--url", &url, "--username", NOVA_USER],
        NOVA_PASSWORD,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("Detected a NovaBACKUP Management Server"));
    let out = sb.login(
        &[
            "--server-id",
            "nas01",
            "--url",
            &backrest.uri(),
            "--username",
            BACKREST_USER,
        ],
        BACKREST_PASSWORD,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("Detected a Backrest server"));
}

#[tokio::test(flavor = "multi_thread")]
async fn distinct_messages_for_each_kind_of_failure() {
    use wiremock::matchers::any;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let sb = Sandbox::new();
    let try_login = |url: &str| {
        let out = sb.login(
            &[
                "--kind",
                "novabackup",
                "--server-id",
                "x",
                "--url",
                url,
                "--username",
                "u",
            ],
            "pw-x",
        );
        assert!(!out.status.success());
        stderr(&out)
    };

    let html = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("content-type", "text/html")
                .set_body_string("<html><body>Not Found</body></html>"),
        )
        .mount(&html)
        .await;
    let err = try_login(&html.uri());
    assert!(
        err.contains("does not look like a NovaBACKUP Management Server"),
        "{err}"
    );
    assert!(err.contains("virtual directory"), "{err}");

    let refused = closed_port();
    let err = try_login(&refused.url(""));
    assert!(err.contains("cannot reach"), "{err}");

    let slow = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(10)))
        .mount(&slow)
        .await;
    let started = std::time::Instant::now();
    let err = try_login(&slow.uri());
    assert!(
        err.contains("no answer") && err.contains("within 3s"),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(8));

    // An https URL at a plain-HTTP port is told so, not sent to look for a certificate.
    let err = try_login(&html.uri().replace("http://", "https://"));
    assert!(
        err.contains("answers plain HTTP, not HTTPS") && err.contains("use http://"),
        "{err}"
    );
    assert!(!err.contains("--ca-cert"), "{err}");
    assert_eq!(err.lines().count(), 1, "one message, no log lines: {err}");

    let err = try_login("ftp://example.invalid/");
    assert!(err.contains("https://"), "{err}");
    let err = try_login("http://user:pw@127.0.0.1/");
    assert!(err.contains("must not contain a user name"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ca_certificate_is_read_and_kept() {
    let server = nova_login_double().await;
    let sb = Sandbox::new();
    let pem_path = sb.dir.path().join("ca.pem");
    std::fs::write(&pem_path, "not a certificate").unwrap();
    let mut args = nova_args(&server, "ms1");
    args.extend(["--ca-cert".into(), pem_path.display().to_string()]);
    let out = sb.login(&strs(&args), NOVA_PASSWORD);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("CA certificate"), "{}", stderr(&out));

    let missing = sb.dir.path().join("missing.pem").display().to_string();
    let mut args = nova_args(&server, "ms1");
    args.extend(["--ca-cert".into(), missing]);
    let out = sb.login(&strs(&args), NOVA_PASSWORD);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--ca-cert"));
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_store_falls_back_to_the_file_and_says_so() {
    let server = nova_login_double().await;
    let sb = Sandbox::new();
    let mut args = vec!["login".to_owned(), "--password-stdin".into()];
    args.extend(nova_args(&server, "ms1"));
    let out = sb.run_with_stdin(&strs(&args), &format!("{NOVA_PASSWORD}\n"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no working OS keyring"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("credentials file instead"));
    let out = sb.run_with_stdin(
        &[
            "login",
            "--password-stdin",
            "--credential-store",
            "keyring",
            "--server-id",
            "ms2",
            "--kind",
            "novabackup",
            "--url",
            &format!("{}/managementserver", server.uri()),
            "--username",
            NOVA_USER,
        ],
        &format!("{NOVA_PASSWORD}\n"),
    );
    assert!(
        !out.status.success(),
        "an explicit keyring request must not fall back"
    );
    sb.assert_no_secret_printed();
}

#[tokio::test(flavor = "multi_thread")]
async fn import_verifies_and_reports_each_entry() {
    let server = nova_login_double().await;
    let sb = Sandbox::new();
    let source = sb.dir.path().join(".novabackup-mcp");
    std::fs::create_dir_all(&source).unwrap();
    let url = format!("{}/managementserver", server.uri());
    let body = serde_json::json!({"version": 1, "servers": [
        {"server_id": "cmc-us", "label": "US", "base_url": url, "username": NOVA_USER, "password": NOVA_PASSWORD},
        {"server_id": "cmc-eu", "label": "EU", "base_url": url, "username": NOVA_USER, "password": "wrong-password-9z"},
    ]});
    std::fs::write(source.join("credentials.json"), body.to_string()).unwrap();

    let out = sb.run(&["import-novabackup", "--credential-store", "file"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("cmc-us: imported"), "{text}");
    assert!(text.contains("cmc-eu: FAILED"), "{text}");
    assert!(text.contains("1 of 2 imported"), "{text}");
    let list: serde_json::Value =
        serde_json::from_slice(&sb.run(&["list", "--json"]).stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["server_id"], "cmc-us");
    assert_eq!(list[0]["kind"], "novabackup");
    assert_eq!(list[0]["label"], "US");

    let out = sb.run(&["import-novabackup", "/nonexistent/creds.json"]);
    assert!(!out.status.success());
    sb.assert_no_secret_printed();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_ca_given_at_login_is_trusted_and_kept() {
    let stub = common::tls::start().await;
    let sb = Sandbox::new();
    let url = format!("https://127.0.0.1:{}/managementserver", stub.port);
    let base = [
        "--kind",
        "novabackup",
        "--server-id",
        "tls1",
        "--url",
        &url,
        "--username",
        NOVA_USER,
    ];

    let out = sb.login(&base, NOVA_PASSWORD);
    assert!(!out.status.success(), "an unknown CA must not be trusted");
    assert!(
        stderr(&out).contains("TLS") && stderr(&out).contains("--ca-cert"),
        "{}",
        stderr(&out)
    );

    let pem = sb.dir.path().join("ca.pem");
    std::fs::write(&pem, &stub.ca_pem).unwrap();
    let mut args = base.to_vec();
    let pem_arg = pem.display().to_string();
    args.extend(["--ca-cert", &pem_arg]);
    let out = sb.login(&args, NOVA_PASSWORD);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::remove_file(&pem).unwrap();

    // The certificate travels with the entry: `test` works without the file.
    let out = sb.run(&["test", "tls1"]);
    assert!(out.status.success(), "{}", stdout(&out));
    let list: serde_json::Value =
        serde_json::from_slice(&sb.run(&["list", "--json"]).stdout).unwrap();
    assert_eq!(list[0]["ca_cert"], true);
    sb.assert_no_secret_printed();
}

#[tokio::test(flavor = "multi_thread")]
async fn test_fails_a_server_whose_data_calls_fail_and_its_table_aligns() {
    use backup_mcp::doubles::novabackup::{InstanceConfig, NovaDouble, SAMPLE_USERS};
    let nova = NovaDouble::start(vec![
        InstanceConfig::sample("/ok"),
        InstanceConfig::sample("/broken"),
    ])
    .await
    .unwrap();
    let (user, password) = (SAMPLE_USERS[0].0, SAMPLE_USERS[0].1);
    let sb = Sandbox::new();
    for (id, i) in [("a-much-longer-server-id", 0), ("b", 1)] {
        let url = nova.base_url(i);
        let args = nova_login_args(id, &url, user);
        assert!(sb.login(&args, password).status.success());
    }
    // The login still works; every data call answers 500.
    nova.faults(1).fail_data_status(Some(500), None);

    let out = sb.run(&["test"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    let broken = lines.iter().find(|l| l.starts_with("b ")).expect("row b");
    assert!(
        broken.contains("FAILED") && broken.contains("upstream_error") && broken.contains("500"),
        "{text}"
    );
    let ok = lines
        .iter()
        .find(|l| l.starts_with("a-much"))
        .expect("row a");
    assert!(ok.contains(" OK ") && ok.contains("login"), "{text}");
    // Every column starts where its header does.
    for header in ["KIND", "STATUS", "DETAIL"] {
        let at = lines[0].find(header).unwrap();
        for line in &lines[1..] {
            assert_eq!(&line[at - 2..at], "  ", "{header} misaligned:\n{text}");
            assert_ne!(&line[at..at + 1], " ", "{header} misaligned:\n{text}");
        }
    }
    assert!(stderr(&out).contains("1 of 2 servers failed"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_id_at_a_new_url_is_probed_again_and_replaced() {
    let nova = nova_login_double().await;
    let open = backrest_open_double().await;
    let sb = Sandbox::new();
    assert!(
        sb.login(&strs(&nova_args(&nova, "x")), NOVA_PASSWORD)
            .status
            .success()
    );
    let out = sb.run(&[
        "login",
        "--server-id",
        "x",
        "--url",
        &open.uri(),
        "--username",
        "",
        "--credential-store",
        "file",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("x is saved for") && err.contains("replacing it with"),
        "{err}"
    );
    assert!(err.contains("Detected a Backrest server"), "{err}");
    let list: serde_json::Value =
        serde_json::from_slice(&sb.run(&["list", "--json"]).stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["kind"], "backrest");
    assert_eq!(list[0]["credential_store"], "none");
}

#[tokio::test(flavor = "multi_thread")]
async fn list_shows_the_effective_tenant() {
    let nova = nova_login_double().await;
    let open = backrest_open_double().await;
    let sb = Sandbox::new();
    assert!(
        sb.login(&strs(&nova_args(&nova, "ms1")), NOVA_PASSWORD)
            .status
            .success()
    );
    for (id, tenant) in [("nas01", None), ("nas02", Some("acme"))] {
        let url = open.uri();
        let mut args = vec![
            "login",
            "--kind",
            "backrest",
            "--server-id",
            id,
            "--url",
            &url,
            "--username",
            "",
        ];
        if let Some(t) = tenant {
            args.extend(["--tenant", t]);
        }
        assert!(sb.run(&args).status.success());
    }
    let text = stdout(&sb.run(&["list"]));
    let at = text.lines().next().unwrap().find("TENANT").unwrap();
    let tenant_of = |id: &str| {
        let line = text.lines().find(|l| l.starts_with(id)).unwrap();
        line[at..].split_whitespace().next().unwrap().to_owned()
    };
    assert_eq!(tenant_of("nas01"), "nas01", "{text}");
    assert_eq!(tenant_of("nas02"), "acme", "{text}");
    assert_eq!(tenant_of("ms1"), "(per", "{text}");
    let list: serde_json::Value =
        serde_json::from_slice(&sb.run(&["list", "--json"]).stdout).unwrap();
    assert_eq!(list[1]["effective_tenant"], "nas01");
    assert_eq!(list[1]["tenant_id"], serde_json::Value::Null);
}

#[test]
fn help_documents_logout_tenant_and_label() {
    let sb = Sandbox::new();
    let logout = stdout(&sb.run(&["logout", "--help"]));
    assert!(
        logout.contains("<SERVER_ID>") && logout.contains("saved server to forget"),
        "{logout}"
    );
    let login = stdout(&sb.run(&["login", "--help"]));
    assert!(login.contains("BACKUP_MCP_ALLOWED_TENANTS"), "{login}");
    assert!(login.contains("list_servers"), "{login}");
    assert!(login.contains("--tls-fingerprint"), "{login}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_keyring_note_names_the_keyring_looked_for() {
    let server = nova_login_double().await;
    let sb = Sandbox::new();
    let mut args = vec!["login".to_owned(), "--password-stdin".into()];
    args.extend(nova_args(&server, "ms1"));
    let out = sb.run_with_stdin(&strs(&args), &format!("{NOVA_PASSWORD}\n"));
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("Secret Service") && err.contains("unix:path=/nonexistent/bus"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn test_says_when_the_saved_password_cannot_be_read() {
    let server = nova_login_double().await;
    let sb = Sandbox::new();
    assert!(
        sb.login(&strs(&nova_args(&server, "ms1")), NOVA_PASSWORD)
            .status
            .success()
    );
    // As if the password had gone to a keyring that is not there now.
    let mut file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sb.credentials()).unwrap()).unwrap();
    file["servers"][0]["secret"] = serde_json::json!({"store": "keyring"});
    std::fs::write(sb.credentials(), serde_json::to_vec(&file).unwrap()).unwrap();
    let out = sb.run(&["test"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("auth: cannot read the saved password"),
        "{text}"
    );
    assert!(
        !text.contains("rejected"),
        "nothing was sent, so nothing was rejected: {text}"
    );
}
