//! Black-box tests of the write-safety chain: gates, tenant allowlist, confirm tokens, human
//! confirmation, the restore path guard and the audit log, against a Backrest double over MCP.

mod common;

use common::backrest::*;
use common::mcp::*;
use rmcp::model::{ElicitResult, ElicitationAction};
use serde_json::{Value, json};

const WRITE_TOOLS: [&str; 3] = ["trigger_backup", "do_repo_task", "cancel_operation"];
const DESTRUCTIVE_TOOLS: [&str; 2] = ["forget_snapshot", "restore_snapshot"];
const NEVER: [&str; 6] = [
    "run_command",
    "set_config",
    "add_repo",
    "remove_repo",
    "clear_history",
    "get_download_url",
];

async fn tool_names(home: &Home, extra: &[(&str, String)]) -> Vec<String> {
    let client = spawn(&["serve"], &home.env(extra), &home.log()).await;
    let names = client
        .list_all_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    client.cancel().await.ok();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn write_tools_exist_only_behind_their_gates() {
    let home = Home::new();
    write_credentials(&home.creds(), &[]);
    let has = |names: &[String], t: &str| names.iter().any(|n| n == t);

    let default = tool_names(&home, &[]).await;
    assert!(has(&default, "get_operations"));
    for t in WRITE_TOOLS.iter().chain(&DESTRUCTIVE_TOOLS) {
        assert!(!has(&default, t), "{t} registered in read-only mode");
    }
    let destructive_only =
        tool_names(&home, &[("BACKUP_MCP_ALLOW_DESTRUCTIVE", "true".into())]).await;
    assert!(
        DESTRUCTIVE_TOOLS.iter().all(|t| !has(&destructive_only, t)),
        "destructive needs writes too"
    );

    let writes = tool_names(&home, &[("BACKUP_MCP_READONLY", "false".into())]).await;
    assert!(WRITE_TOOLS.iter().all(|t| has(&writes, t)));
    assert!(DESTRUCTIVE_TOOLS.iter().all(|t| !has(&writes, t)));

    let all = tool_names(
        &home,
        &[
            ("BACKUP_MCP_READONLY", "false".into()),
            ("BACKUP_MCP_ALLOW_DESTRUCTIVE", "true".into()),
        ],
    )
    .await;
    assert!(
        WRITE_TOOLS
            .iter()
            .chain(&DESTRUCTIVE_TOOLS)
            .all(|t| has(&all, t))
    );
    for t in NEVER {
        assert!(!has(&all, t), "{t} must never be exposed");
    }
}

/// A server with writes and the destructive gate on, audit to the home's file.
fn destructive_env(home: &Home, extra: &[(&str, String)]) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("BACKUP_MCP_READONLY", "false".to_owned()),
        ("BACKUP_MCP_ALLOW_DESTRUCTIVE", "true".to_owned()),
        ("BACKUP_MCP_AUDIT_LOG", home.audit().display().to_string()),
    ];
    env.extend(extra.iter().map(|(k, v)| (*k, v.clone())));
    home.env(&env)
}

/// The restore prefix and a folder outside it, with `prefix/link` pointing outside: the symlink
/// a restore target must never pass through.
fn restore_dirs(home: &Home) -> (std::path::PathBuf, std::path::PathBuf) {
    let prefix = home.dir.path().join("backrest-restore");
    let outside = home.dir.path().join("outside");
    std::fs::create_dir(&prefix).unwrap();
    std::fs::create_dir(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, prefix.join("link")).unwrap();
    (prefix, outside)
}

async fn first_snapshot<H: rmcp::ClientHandler>(
    client: &rmcp::service::RunningService<rmcp::RoleClient, H>,
    plan: &str,
) -> Value {
    call_ok(
        client,
        "list_snapshots",
        json!({"plan_id": plan, "limit": 1}),
    )
    .await["items"][0]
        .clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn forget_needs_the_exact_token_the_owning_plan_and_the_human() {
    let d = double("nas01", "acme");
    let home = Home::new();
    write_credentials(&home.creds(), &[entry("br-a", &d.base_url(), Some("acme"))]);
    let declining = FormFiller::declining();
    let client = spawn_with(
        declining.clone(),
        &["serve"],
        &destructive_env(&home, &[]),
        &home.log(),
    )
    .await;
    let snap = first_snapshot(&client, "daily-home").await;
    let id = snap["snapshot_id"].as_str().unwrap();
    let base = json!({"server_id": "br-a", "repo_id": "b2-offsite", "snapshot_id": id});
    let with = |extra: Value| {
        let mut v = base.clone();
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    };

    let missing = call_err(&client, "forget_snapshot", base.clone()).await;
    assert!(missing.contains(&format!("FORGET:{id}")), "{missing}");
    for wrong in [
        format!("FORGET:{}", &id[..8]),
        format!("forget:{id}"),
        "FORGET:".into(),
        format!("FORGET:{id} "),
    ] {
        let msg = call_err(&client, "forget_snapshot", with(json!({"confirm": wrong}))).await;
        assert!(msg.contains("refused"), "{msg}");
    }
    let token = json!({"confirm": format!("FORGET:{id}")});
    let mut wrong_plan = with(token.clone());
    wrong_plan["plan_id"] = json!("db-dumps");
    let msg = call_err(&client, "forget_snapshot", wrong_plan).await;
    assert!(msg.contains("does not own"), "{msg}");
    let mut wrong_repo = with(token.clone());
    wrong_repo["repo_id"] = json!("nas-local");
    assert!(
        call_err(&client, "forget_snapshot", wrong_repo)
            .await
            .contains("not in repo")
    );
    // Every automatic check passed: the human is asked and declines.
    let msg = call_err(&client, "forget_snapshot", with(token.clone())).await;
    assert!(msg.contains("declined"), "{msg}");
    assert_eq!(
        declining.asked.lock().unwrap().len(),
        1,
        "asked only once all checks passed"
    );
    assert!(d.state().bodies("Forget").is_empty(), "nothing was sent");

    let lines = home.audit_lines();
    assert_eq!(lines.len(), 8);
    assert!(
        lines
            .iter()
            .all(|l| l["decision"] == "denied" && l["tool"] == "forget_snapshot")
    );
    assert!(
        lines
            .iter()
            .all(|l| l["reason"].is_string() && l["operation_id"].is_null())
    );
    assert_no_secret(
        &std::fs::read_to_string(home.audit()).unwrap(),
        &secrets_of(&d),
    );
    client.cancel().await.ok();

    // A client that dismisses the form is refused too; one that cannot show forms relies on the
    // token and the gates.
    let refusing = [
        (
            FormFiller::new(|_| ElicitResult::new(ElicitationAction::Cancel)),
            "dismissed",
        ),
        (FormFiller::accepting(json!({"confirm": false})), "declined"),
    ];
    for (filler, why) in refusing {
        let env = destructive_env(&home, &[]);
        let client = spawn_with(filler, &["serve"], &env, &home.log()).await;
        let msg = call_err(&client, "forget_snapshot", with(token.clone())).await;
        assert!(msg.contains(why), "{msg}");
        client.cancel().await.ok();
    }
    assert!(d.state().bodies("Forget").is_empty());
    let plain = spawn(&["serve"], &destructive_env(&home, &[]), &home.log()).await;
    let out = call_ok(&plain, "forget_snapshot", with(token)).await;
    assert_eq!(out["status"], "scheduled");
    assert_eq!(
        d.state().bodies("Forget"),
        [&json!({"repoId": "b2-offsite", "planId": "daily-home", "snapshotId": id})]
    );
    let last = home.audit_lines().pop().unwrap();
    assert_eq!(
        (last["decision"].as_str(), last["outcome"].as_str()),
        (Some("allowed"), Some("ok"))
    );
    plain.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_targets_outside_the_prefix_are_refused_and_audited() {
    let d = double("nas01", "acme");
    let home = Home::new();
    let (prefix, _) = restore_dirs(&home);
    write_credentials(&home.creds(), &[entry("br-a", &d.base_url(), Some("acme"))]);
    let env = destructive_env(
        &home,
        &[(
            "BACKUP_MCP_RESTORE_ALLOWED_PREFIX",
            format!("{}/", prefix.display()),
        )],
    );
    let client = spawn_with(
        FormFiller::accepting(json!({"confirm": true})),
        &["serve"],
        &env,
        &home.log(),
    )
    .await;
    let snap = first_snapshot(&client, "daily-home").await;
    let p = prefix.display().to_string();
    let corpus = [
        format!("{p}/../../etc"),
        format!("{p}/ticket/../../outside"),
        format!("{p}/.."),
        "/tmp/backrest-restore/../../etc".to_owned(),
        "//etc/passwd".to_owned(),
        format!("/{p}"),
        format!("{p}//ticket"),
        "relative/restore".to_owned(),
        "./restore".to_owned(),
        format!("{p}-evil"),
        format!("{p}-evil/ticket"),
        p.clone(),
        format!("{p}/link/ticket"),
        format!("{p}/link"),
        String::new(),
    ];
    for target in &corpus {
        let msg = call_err(
            &client,
            "restore_snapshot",
            json!({"server_id": "br-a", "repo_id": "b2-offsite", "snapshot_id": snap["snapshot_id"], "target": target}),
        )
        .await;
        assert!(msg.contains("refused"), "{target:?}: {msg}");
    }
    assert!(
        d.state().bodies("Restore").is_empty(),
        "no restore was sent"
    );
    let lines = home.audit_lines();
    assert_eq!(lines.len(), corpus.len());
    for (line, target) in lines.iter().zip(&corpus) {
        assert_eq!(line["decision"], "denied");
        assert_eq!(line["tool"], "restore_snapshot");
        assert_eq!(line["args"]["target"], target.as_str());
    }
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn writes_to_a_tenant_outside_the_allowlist_are_refused() {
    let ours = double("nas01", "acme");
    let theirs = double("nas02", "other");
    let home = Home::new();
    write_credentials(
        &home.creds(),
        &[
            entry("br-ours", &ours.base_url(), Some("acme")),
            entry("br-theirs", &theirs.base_url(), Some("other")),
        ],
    );
    let env = destructive_env(
        &home,
        &[("BACKUP_MCP_ALLOWED_TENANTS", "acme, blue".into())],
    );
    let client = spawn(&["serve"], &env, &home.log()).await;
    let msg = call_err(
        &client,
        "trigger_backup",
        json!({"server_id": "br-theirs", "plan_id": "daily-home"}),
    )
    .await;
    assert!(msg.contains("not in BACKUP_MCP_ALLOWED_TENANTS"), "{msg}");
    let msg = call_err(
        &client,
        "do_repo_task",
        json!({"server_id": "br-theirs", "repo_id": "nas-local", "task": "check"}),
    )
    .await;
    assert!(msg.contains("refused"), "{msg}");
    let msg = call_err(
        &client,
        "restore_snapshot",
        json!({"server_id": "br-theirs", "repo_id": "nas-local", "snapshot_id": "abc", "target": "/tmp/backrest-restore/t"}),
    )
    .await;
    assert!(msg.contains("other"), "{msg}");
    assert!(
        theirs.state().bodies("Backup").is_empty()
            && theirs.state().bodies("DoRepoTask").is_empty()
    );
    // Reads still work for every tenant.
    assert_eq!(
        call_ok(&client, "get_summary", json!({})).await["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let ok = call_ok(
        &client,
        "do_repo_task",
        json!({"server_id": "br-ours", "repo_id": "nas-local", "task": "check"}),
    )
    .await;
    assert!(ok["operation_id"].is_string());

    let lines = home.audit_lines();
    assert_eq!(lines.len(), 5);
    assert!(lines[..3].iter().all(|l| l["decision"] == "denied"
        && l["tenant_id"] == "other"
        && l["server_id"] == "br-theirs"));
    assert_eq!(lines[3]["phase"], "intent");
    assert_eq!(lines[4]["decision"], "allowed");
    let text = std::fs::read_to_string(home.audit()).unwrap();
    let mut secrets = secrets_of(&ours);
    secrets.extend(secrets_of(&theirs));
    assert_no_secret(&text, &secrets);
    assert!(
        !text.contains("Bearer") && !text.contains("eyJ"),
        "no token in the audit log"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(home.audit())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_audit_log_that_cannot_be_written_refuses_the_write() {
    let d = double("nas01", "acme");
    let home = Home::new();
    write_credentials(&home.creds(), &[entry("br-a", &d.base_url(), Some("acme"))]);
    for bad in [
        home.dir.path().to_path_buf(),
        home.dir.path().join("missing/dir/audit.jsonl"),
    ] {
        let env = home.env(&[
            ("BACKUP_MCP_READONLY", "false".into()),
            ("BACKUP_MCP_AUDIT_LOG", bad.display().to_string()),
        ]);
        let client = spawn(&["serve"], &env, &home.log()).await;
        let msg = call_err(
            &client,
            "trigger_backup",
            json!({"server_id": "br-a", "plan_id": "daily-home"}),
        )
        .await;
        assert!(msg.contains("audit log"), "{msg}");
        let msg = call_err(
            &client,
            "cancel_operation",
            json!({"server_id": "br-a", "operation_id": "1"}),
        )
        .await;
        assert!(msg.contains("audit log"), "{msg}");
        client.cancel().await.ok();
    }
    assert!(d.state().bodies("Backup").is_empty());
    assert!(d.state().bodies("Cancel").is_empty());
}

/// Connects `theirs` for the session under a tenant label the caller picked.
async fn connect_relabelled<H: rmcp::ClientHandler>(
    client: &rmcp::service::RunningService<rmcp::RoleClient, H>,
    theirs: &backup_mcp::doubles::backrest::BackrestDouble,
) {
    call_ok(
        client,
        "connect_server",
        json!({"server_id": "relabelled", "kind": "backrest", "base_url": theirs.base_url(),
               "username": USER, "password": PASSWORD, "tenant_id": "acme"}),
    )
    .await;
}

/// Every write tool against the relabelled session server; all must be refused with `why`.
async fn every_write_is_refused<H: rmcp::ClientHandler>(
    client: &rmcp::service::RunningService<rmcp::RoleClient, H>,
    why: &str,
) {
    let calls = [
        (
            "trigger_backup",
            json!({"server_id": "relabelled", "plan_id": "daily-home"}),
        ),
        (
            "do_repo_task",
            json!({"server_id": "relabelled", "repo_id": "nas-local", "task": "prune"}),
        ),
        (
            "cancel_operation",
            json!({"server_id": "relabelled", "operation_id": "1"}),
        ),
        (
            "forget_snapshot",
            json!({"server_id": "relabelled", "repo_id": "nas-local", "snapshot_id": "abc", "confirm": "FORGET:abc"}),
        ),
        (
            "restore_snapshot",
            json!({"server_id": "relabelled", "repo_id": "nas-local", "snapshot_id": "abc", "target": "/tmp/backrest-restore/t1"}),
        ),
    ];
    for (tool, args) in calls {
        let msg = call_err(client, tool, args).await;
        assert!(msg.contains(why), "{tool}: {msg}");
    }
}

fn writes_received(d: &backup_mcp::doubles::backrest::BackrestDouble) -> usize {
    ["Backup", "DoRepoTask", "Cancel", "Forget", "Restore"]
        .iter()
        .map(|m| d.state().bodies(m).len())
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tenant_named_by_the_caller_never_passes_the_allowlist() {
    let ours = double("nas01", "acme");
    let theirs = double("nas02", "other");
    let home = Home::new();
    write_credentials(
        &home.creds(),
        &[entry("br-ours", &ours.base_url(), Some("acme"))],
    );
    let connect = ("BACKUP_MCP_ALLOW_CONNECT", "true".to_owned());
    let allowlist = ("BACKUP_MCP_ALLOWED_TENANTS", "acme".to_owned());
    let opt_in = ("BACKUP_MCP_ALLOW_SESSION_WRITES", "true".to_owned());

    // With an allowlist, a session server is refused even with the opt-in.
    for extra in [
        vec![connect.clone(), allowlist.clone()],
        vec![connect.clone(), allowlist.clone(), opt_in.clone()],
    ] {
        let env = destructive_env(&home, &extra);
        let accepting = FormFiller::accepting(json!({"confirm": true}));
        let client = spawn_with(accepting, &["serve"], &env, &home.log()).await;
        connect_relabelled(&client, &theirs).await;
        every_write_is_refused(&client, "named by the caller").await;
        // The saved server of the same tenant still takes writes.
        call_ok(
            &client,
            "do_repo_task",
            json!({"server_id": "br-ours", "repo_id": "nas-local", "task": "check"}),
        )
        .await;
        client.cancel().await.ok();
    }
    assert_eq!(
        writes_received(&theirs),
        0,
        "nothing reached the other tenant"
    );

    // Without an allowlist, session writes are off unless opted in.
    let env = destructive_env(&home, std::slice::from_ref(&connect));
    let client = spawn_with(
        FormFiller::accepting(json!({"confirm": true})),
        &["serve"],
        &env,
        &home.log(),
    )
    .await;
    connect_relabelled(&client, &theirs).await;
    every_write_is_refused(&client, "BACKUP_MCP_ALLOW_SESSION_WRITES=true").await;
    client.cancel().await.ok();
    assert_eq!(writes_received(&theirs), 0);

    let lines = home.audit_lines();
    let relabelled: Vec<_> = lines
        .iter()
        .filter(|l| l["server_id"] == "relabelled")
        .collect();
    assert_eq!(relabelled.len(), 15, "one line per refused call");
    for l in &relabelled {
        assert_eq!(l["decision"], "denied");
        assert_eq!(l["tenant_id"], "acme");
        assert!(
            l["reason"].as_str().unwrap().contains("connect_server"),
            "the line says why: {l}"
        );
    }

    // The opt-in without an allowlist lets the operator's choice through.
    let env = destructive_env(&home, &[connect, opt_in]);
    let client = spawn(&["serve"], &env, &home.log()).await;
    connect_relabelled(&client, &theirs).await;
    let out = call_ok(
        &client,
        "do_repo_task",
        json!({"server_id": "relabelled", "repo_id": "nas-local", "task": "check"}),
    )
    .await;
    assert!(out["operation_id"].is_string());
    assert_eq!(theirs.state().bodies("DoRepoTask").len(), 1);
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn every_call_of_a_write_tool_leaves_an_audit_line() {
    let d = double("nas01", "acme");
    let home = Home::new();
    write_credentials(&home.creds(), &[entry("br-a", &d.base_url(), Some("acme"))]);
    let client = spawn(&["serve"], &destructive_env(&home, &[]), &home.log()).await;
    let refused = [
        (
            "trigger_backup",
            json!({"server_id": "nope", "plan_id": "daily-home"}),
            "unknown server_id",
        ),
        (
            "do_repo_task",
            json!({"server_id": "br-a", "repo_id": "nas-local", "task": "rm -rf"}),
            "task",
        ),
        (
            "cancel_operation",
            json!({"server_id": "br-a", "operation_id": "-3"}),
            "operation_id",
        ),
        (
            "restore_snapshot",
            json!({"server_id": "br-a", "repo_id": "nas-local", "snapshot_id": "abc", "path": "etc", "target": "/tmp/backrest-restore/x"}),
            "path",
        ),
    ];
    for (tool, args, why) in &refused {
        let msg = call_err(&client, tool, args.clone()).await;
        assert!(msg.contains(why), "{tool}: {msg}");
    }
    // Arguments that do not even parse are refused by the protocol layer, and audited too.
    let params = rmcp::model::CallToolRequestParams::new("forget_snapshot").with_arguments(
        json!({"server_id": "br-a", "snapshot_id": 7})
            .as_object()
            .cloned()
            .unwrap(),
    );
    let parse = client.call_tool(params).await;
    assert!(
        parse.is_err() || parse.as_ref().unwrap().is_error == Some(true),
        "{parse:?}"
    );
    assert_eq!(writes_received(&d), 0);

    let lines = home.audit_lines();
    assert_eq!(lines.len(), refused.len() + 1, "{lines:#?}");
    for (line, (tool, args, why)) in lines.iter().zip(&refused) {
        assert_eq!(line["tool"], *tool);
        assert_eq!(line["decision"], "denied");
        for (k, v) in args.as_object().unwrap() {
            assert_eq!(&line["args"][k], v, "{line}");
        }
        assert!(line["reason"].as_str().unwrap().contains(why), "{line}");
    }
    assert!(lines[0]["tenant_id"].is_null(), "no such server, no tenant");
    assert_eq!(lines[1]["tenant_id"], "acme");
    let last = &lines[refused.len()];
    assert_eq!(last["tool"], "forget_snapshot");
    assert_eq!(last["server_id"], "br-a");
    assert!(
        last["reason"]
            .as_str()
            .unwrap()
            .starts_with("invalid arguments")
    );
    client.cancel().await.ok();
}

/// Host names of this machine besides the literal address: `localhost` spelled both ways, the
/// machine's own name (which resolves to one of its addresses, loopback or not), and every name
/// /etc/hosts maps to a 127.x address.
fn names_of_this_host() -> Vec<String> {
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let mut names = vec![
        "localhost".to_owned(),
        "localhost.".to_owned(),
        hostname.trim().to_owned(),
    ];
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    for line in hosts.lines() {
        let mut fields = line.split('#').next().unwrap().split_whitespace();
        if fields.next().is_some_and(|ip| ip.starts_with("127.")) {
            names.extend(fields.map(str::to_owned));
        }
    }
    names.sort();
    names.dedup();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn the_restore_guard_knows_this_host_by_name_and_checks_again_after_the_human() {
    let d = double("nas01", "acme");
    let home = Home::new();
    let (prefix, outside) = restore_dirs(&home);
    let port = d.addr().port();
    let names = names_of_this_host();
    let mut servers = vec![entry("br-0", &d.base_url(), Some("acme"))];
    for (i, name) in names.iter().enumerate() {
        servers.push(entry(
            &format!("br-{}", i + 1),
            &format!("http://{name}:{port}"),
            Some("acme"),
        ));
    }
    write_credentials(&home.creds(), &servers);
    let env = destructive_env(
        &home,
        &[(
            "BACKUP_MCP_RESTORE_ALLOWED_PREFIX",
            format!("{}/", prefix.display()),
        )],
    );

    // A link under the prefix that leads outside, on a Backrest named rather than numbered.
    let accepting = FormFiller::accepting(json!({"confirm": true}));
    let client = spawn_with(accepting, &["serve"], &env, &home.log()).await;
    for i in 1..=names.len() {
        let msg = call_err(
            &client,
            "restore_snapshot",
            json!({"server_id": format!("br-{i}"), "repo_id": "nas-local", "snapshot_id": "abc",
                   "target": format!("{}/link/ticket", prefix.display())}),
        )
        .await;
        assert!(msg.contains("symlink"), "{}: {msg}", names[i - 1]);
    }
    client.cancel().await.ok();

    // The link appears while the person is looking at the confirmation form.
    let late = prefix.join("late");
    let (late_link, to) = (late.clone(), outside.clone());
    let racing = FormFiller::new(move |_| {
        std::os::unix::fs::symlink(&to, &late_link).unwrap();
        ElicitResult::new(ElicitationAction::Accept).with_content(json!({"confirm": true}))
    });
    let client = spawn_with(racing.clone(), &["serve"], &env, &home.log()).await;
    let snap = first_snapshot(&client, "daily-home").await;
    let msg = call_err(
        &client,
        "restore_snapshot",
        json!({"server_id": "br-0", "repo_id": "b2-offsite", "snapshot_id": snap["snapshot_id"],
               "target": format!("{}/ticket", late.display())}),
    )
    .await;
    assert!(msg.contains("symlink"), "{msg}");
    assert_eq!(
        racing.asked.lock().unwrap().len(),
        1,
        "the human was asked first"
    );
    assert!(
        d.state().bodies("Restore").is_empty(),
        "no restore was sent"
    );
    assert!(std::fs::read_dir(&outside).unwrap().next().is_none());
    let last = home.audit_lines().pop().unwrap();
    assert_eq!(last["decision"], "denied");
    assert!(
        last["reason"].as_str().unwrap().contains("symlink"),
        "{last}"
    );
    client.cancel().await.ok();
}
