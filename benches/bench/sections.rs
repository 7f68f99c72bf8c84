//! One function per benchmark section; each adds a table to the report.

use std::sync::Arc;
use std::time::{Duration, Instant};

use backup_mcp::doubles::backrest::{BackrestConfig, BackrestDataset, BackrestDouble};
use backup_mcp::doubles::novabackup::{Dataset, GenSpec, InstanceConfig, NovaDouble, SAMPLE_USERS};
use serde_json::json;

use super::client::{self, peak_rss_kib, spawn, wait_all_up};
use super::report::{Report, Table, median_p90, mib, ms};

/// `n` simulated Management Servers sharing one small dataset, each answering after `latency`.
pub async fn nova_fleet(
    n: usize,
    latency: Duration,
) -> (
    NovaDouble,
    Vec<(String, String, &'static str, &'static str)>,
) {
    let dataset = Arc::new(Dataset::sample(chrono::Utc::now()));
    let configs = (0..n)
        .map(|i| {
            let mut c = InstanceConfig::with_dataset(&format!("/ms{i:04}"), Dataset::default());
            c.dataset = dataset.clone();
            c.faults.latency_ms = latency.as_millis() as u64;
            c
        })
        .collect();
    let double = NovaDouble::start(configs).await.expect("start doubles");
    let (user, password) = SAMPLE_USERS[0];
    let entries = (0..n)
        .map(|i| (format!("ms{i:04}"), double.base_url(i), user, password))
        .collect();
    (double, entries)
}

fn our_env(
    creds: &std::path::Path,
    extra: &[(&'static str, String)],
) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("BACKUP_MCP_CREDENTIALS_FILE", creds.display().to_string()),
        ("HOME", creds.parent().unwrap().display().to_string()),
    ];
    env.extend(extra.iter().cloned());
    env
}

/// Process spawn to the `tools/list` reply, with 10 saved servers.
pub async fn cold_start(report: &mut Report, quick: bool) {
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("credentials.json");
    let (_double, entries) = nova_fleet(10, Duration::ZERO).await;
    client::write_our_credentials(&creds, &entries);
    let runs = if quick { 5 } else { 20 };
    let mut samples = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let s = spawn(&client::our_binary(), &["serve"], &our_env(&creds, &[])).await;
        s.client.list_all_tools().await.expect("tools/list");
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        s.client.cancel().await.ok();
    }
    let (median, p90) = median_p90(samples);
    report.add(Table {
        title: "Cold start".into(),
        target: "median under 25 ms (the Node NovaBACKUP MCP takes about 600 ms)".into(),
        header: vec!["runs".into(), "median".into(), "p90".into()],
        rows: vec![vec![runs.to_string(), ms(median), ms(p90)]],
        note: Some("Process spawn to the `tools/list` reply (initialize + initialized + tools/list), 10 saved servers, release build.".into()),
    });
}

/// Peak RSS once 1, 100 and 1000 saved servers are connected.
pub async fn peak_rss(report: &mut Report, quick: bool) {
    let sizes: &[usize] = if quick { &[1, 100] } else { &[1, 100, 1000] };
    let mut rows = Vec::new();
    for &n in sizes {
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("credentials.json");
        let (_double, entries) = nova_fleet(n, Duration::ZERO).await;
        client::write_our_credentials(&creds, &entries);
        let s = spawn(&client::our_binary(), &["serve"], &our_env(&creds, &[])).await;
        let all_up = wait_all_up(&s.client, n, Duration::from_secs(60)).await;
        let rss = peak_rss_kib(s.pid);
        rows.push(vec![
            n.to_string(),
            ms(all_up.as_secs_f64() * 1000.0),
            mib(rss),
        ]);
        s.client.cancel().await.ok();
    }
    report.add(Table {
        title: "Peak RSS after auto-connect".into(),
        target: "under 20 MB with 100 servers (the Node server idles at about 72 MB)".into(),
        header: vec![
            "saved servers".into(),
            "all logged in after".into(),
            "peak RSS (VmHWM)".into(),
        ],
        rows,
        note: None,
    });
}

/// `list_failing_jobs` over N servers that each answer after 50 ms, as a ratio to the ideal
/// `ceil(N / c) × 50 ms` (every server needs one request once the tenant cache is warm).
pub async fn fan_out(report: &mut Report, quick: bool) {
    let latency = Duration::from_millis(50);
    let sizes: &[usize] = if quick { &[10, 100] } else { &[10, 100, 1000] };
    let mut rows = Vec::new();
    for &n in sizes {
        let (_double, entries) = nova_fleet(n, latency).await;
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("credentials.json");
        client::write_our_credentials(&creds, &entries);
        for c in [8usize, 32, 128] {
            let env = our_env(
                &creds,
                &[
                    ("BACKUP_MCP_FANOUT_CONCURRENCY", c.to_string()),
                    ("BACKUP_MCP_TIMEOUT_SECONDS", "300".to_owned()),
                ],
            );
            let s = spawn(&client::our_binary(), &["serve"], &env).await;
            wait_all_up(&s.client, n, Duration::from_secs(120)).await;
            let args = json!({"window": "30d", "limit": 1000});
            // Warm the per-server tenant cache (groups and agents), as in steady use.
            let warm = client::call(&s.client, "list_failing_jobs", args.clone()).await;
            let answered = warm.map(|v| v["_meta"]["servers_succeeded"].clone());
            let (mut samples, mut inside) = (Vec::new(), Vec::new());
            for _ in 0..3 {
                let started = Instant::now();
                let out = client::call(&s.client, "list_failing_jobs", args.clone()).await;
                samples.push(started.elapsed().as_secs_f64() * 1000.0);
                let meta = out.map(|v| v["_meta"].clone()).unwrap_or_default();
                inside.push(meta["elapsed_ms"].as_f64().unwrap_or(0.0));
                assert_eq!(Ok(meta["servers_succeeded"].clone()), answered);
            }
            let (median, _) = median_p90(samples);
            let (gather, _) = median_p90(inside);
            let ideal = n.div_ceil(c) as f64 * latency.as_secs_f64() * 1000.0;
            rows.push(vec![
                n.to_string(),
                c.to_string(),
                ms(ideal),
                ms(median),
                ms(gather),
                format!("{:.2}", median / ideal),
            ]);
            s.client.cancel().await.ok();
        }
        if n == *sizes.last().unwrap_or(&n) {
            let c = 128;
            let floor = direct_floor(&entries, c).await;
            let ideal = n.div_ceil(c) as f64 * latency.as_secs_f64() * 1000.0;
            rows.push(vec![
                format!("{n} (no gateway)"),
                c.to_string(),
                ms(ideal),
                ms(floor),
                "–".into(),
                format!("{:.2}", floor / ideal),
            ]);
        }
    }
    report.add(Table {
        title: "Fan-out: list_failing_jobs, every server answering after 50 ms".into(),
        target: "within 10% of the ideal (ratio ≤ 1.10) at 1000 servers".into(),
        header: vec![
            "servers".into(),
            "concurrency".into(),
            "ideal".into(),
            "measured (median of 3)".into(),
            "of which fan-out (`_meta.elapsed_ms`)".into(),
            "ratio".into(),
        ],
        rows,
        note: Some("The ideal is `ceil(N / c) × 50 ms`. Measured after one warm-up call that fills the per-server tenant cache. The \"no gateway\" row is the floor of this machine: the same job-history request sent straight from the harness with reqwest, 128 at a time, to the same doubles (timer granularity, loopback HTTP and the doubles' own work on the same 2 cores).".into()),
    });
}

/// The same one-request-per-server job-history read, sent directly (no gateway) with
/// `concurrency` in flight: what the machine and the doubles allow at best.
async fn direct_floor(entries: &[(String, String, &str, &str)], concurrency: usize) -> f64 {
    use futures::StreamExt;
    backup_mcp::upstream::http::install_crypto_provider();
    let http = reqwest::Client::new();
    let mut tokens = Vec::new();
    for (_, url, user, password) in entries {
        let token = http
            .post(format!("{url}/api/Account/Authenticate"))
            .json(&json!({"UserName": user, "Password": password}))
            .send()
            .await
            .expect("login")
            .text()
            .await
            .expect("token");
        tokens.push((url.clone(), token));
    }
    let since = (chrono::Utc::now() - chrono::Duration::days(30))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let query = format!(
        "/api/JobHistories?$filter=StartDateTime%20ge%20{since}%20and%20Status%20eq%204&$orderby=StartDateTime%20desc&$top=500&$skip=0"
    );
    let mut samples = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        futures::stream::iter(tokens.iter())
            .map(|(url, token)| {
                let request = http.get(format!("{url}{query}")).bearer_auth(token);
                async move {
                    request
                        .send()
                        .await
                        .expect("get")
                        .bytes()
                        .await
                        .expect("body")
                }
            })
            .buffer_unordered(concurrency)
            .for_each(|_| async {})
            .await;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    median_p90(samples).0
}

/// `get_job_history_summary` over one server holding many job-history rows.
pub async fn big_summary(report: &mut Report, quick: bool) {
    let sizes: &[usize] = if quick { &[10_000] } else { &[10_000, 100_000] };
    let mut rows = Vec::new();
    for &runs in sizes {
        let spec = GenSpec {
            agents: 5_000,
            runs,
            days: 29,
            ..GenSpec::default()
        };
        let double = NovaDouble::start(vec![InstanceConfig::generated("/big", &spec)])
            .await
            .expect("double");
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("credentials.json");
        let (user, password) = SAMPLE_USERS[0];
        client::write_our_credentials(
            &creds,
            &[("big".to_owned(), double.base_url(0), user, password)],
        );
        let env = our_env(&creds, &[("BACKUP_MCP_TIMEOUT_SECONDS", "300".to_owned())]);
        let s = spawn(&client::our_binary(), &["serve"], &env).await;
        wait_all_up(&s.client, 1, Duration::from_secs(30)).await;
        let before = peak_rss_kib(s.pid);
        let started = Instant::now();
        let out = client::call(
            &s.client,
            "get_job_history_summary",
            json!({"window": "30d"}),
        )
        .await;
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        let counted = out
            .as_ref()
            .ok()
            .and_then(|v| v["per_server"][0]["total_runs"].as_u64())
            .unwrap_or(0);
        rows.push(vec![
            runs.to_string(),
            counted.to_string(),
            ms(elapsed),
            mib(before),
            mib(peak_rss_kib(s.pid)),
        ]);
        s.client.cancel().await.ok();
    }
    report.add(Table {
        title: "One big server: get_job_history_summary".into(),
        target: "memory flat in the number of rows (count while paging, never hold every row)".into(),
        header: vec!["job-history rows".into(), "runs counted".into(), "time".into(), "peak RSS before".into(), "peak RSS after".into()],
        rows,
        note: Some("5,000 agents; rows read in pages of 500. The time includes the double's own filtering and sorting of every page.".into()),
    });
}

/// Per-call latency on a Backrest with authentication enabled and real bcrypt (cost 10, as
/// Backrest): Bearer (what the gateway sends after one Login) against HTTP Basic.
pub async fn backrest_auth(report: &mut Report, quick: bool) {
    let calls = if quick { 5 } else { 20 };
    let (user, password) = ("gateway", "bench backrest password");
    let mut config = BackrestConfig::new(BackrestDataset::sample(
        chrono::Utc::now(),
        "bench",
        "Bench",
    ))
    .with_users(&[(user, password)]);
    config.bcrypt_cost = Some(10);
    let double = BackrestDouble::start(config).expect("backrest double");
    backup_mcp::upstream::http::install_crypto_provider();
    let http = reqwest::Client::new();
    let url = format!("{}/v1.Backrest/GetConfig", double.base_url());
    let login: serde_json::Value = http
        .post(format!("{}/v1.Authentication/Login", double.base_url()))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("token");
    let token = login["token"].as_str().unwrap_or_default().to_owned();
    let time_raw = |auth: String| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let mut samples = Vec::new();
            for _ in 0..calls {
                let started = Instant::now();
                let status = http
                    .post(&url)
                    .header("authorization", &auth)
                    .json(&json!({}))
                    .send()
                    .await
                    .expect("call")
                    .status();
                assert!(status.is_success());
                samples.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            median_p90(samples).0
        }
    };
    use base64::Engine;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    );
    let raw_bearer = time_raw(format!("Bearer {token}")).await;
    let raw_basic = time_raw(basic).await;

    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("credentials.json");
    let entry = json!({"version": 1, "servers": [{"server_id": "br", "kind": "backrest", "label": "br",
        "base_url": double.base_url(), "username": user, "secret": {"store": "file", "password": password}}]});
    std::fs::write(&creds, entry.to_string()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o600)).unwrap();
    let s = spawn(&client::our_binary(), &["serve"], &our_env(&creds, &[])).await;
    wait_all_up(&s.client, 1, Duration::from_secs(30)).await;
    let mut samples = Vec::new();
    for _ in 0..calls {
        let started = Instant::now();
        client::call(&s.client, "get_config", json!({"server_id": "br"}))
            .await
            .expect("get_config");
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let gateway = median_p90(samples).0;
    s.client.cancel().await.ok();
    let counters = double.counters();
    report.add(Table {
        title: "Backrest: Bearer against Basic authentication".into(),
        target: "log in once, then Bearer: no bcrypt on every call (a real Backrest: ~98 ms with Basic, ~1.3 ms with Bearer)".into(),
        header: vec!["request".into(), "per call (median)".into()],
        rows: vec![
            vec!["GetConfig with HTTP Basic (bcrypt cost 10 per call)".into(), ms(raw_basic)],
            vec!["GetConfig with Bearer".into(), ms(raw_bearer)],
            vec!["backup-mcp `get_config` tool call (MCP round trip, Bearer, redaction)".into(), ms(gateway)],
        ],
        note: Some(format!(
            "The double checks Basic passwords with real bcrypt (cost 10). Requests it saw: {} Basic, {} Bearer (the gateway logged in once and sent Bearer only).",
            counters.basic, counters.bearer
        )),
    });
}

/// The existing Node NovaBACKUP MCP against the same Management Server double.
pub async fn node_comparison(report: &mut Report, quick: bool) {
    let node_entry = match client::node_server() {
        Ok(p) => p,
        Err(why) => {
            report.add(Table {
                title: "Side by side with the Node NovaBACKUP MCP".into(),
                target: "faster and smaller than @novabackup/management-server-mcp@0.5.1".into(),
                header: vec!["skipped".into()],
                rows: vec![vec![why]],
                note: None,
            });
            return;
        }
    };
    let node = std::path::PathBuf::from("node");
    let dir = tempfile::tempdir().unwrap();
    let (_double, entries) = nova_fleet(20, Duration::ZERO).await;
    let ours = dir.path().join("ours.json");
    let theirs = dir.path().join("node.json");
    client::write_our_credentials(&ours, &entries);
    client::write_node_credentials(&theirs, &entries);
    let node_env = vec![
        ("MCP_CREDENTIALS_FILE", theirs.display().to_string()),
        ("HOME", dir.path().display().to_string()),
        ("MCP_LOG_LEVEL", "error".to_owned()),
    ];
    let runs = if quick { 3 } else { 20 };
    let node_arg = node_entry.display().to_string();

    let mut rows = Vec::new();
    for (name, program, args, env) in [
        (
            "backup-mcp",
            client::our_binary(),
            vec!["serve".to_owned()],
            our_env(&ours, &[]),
        ),
        (
            "Node NovaBACKUP MCP 0.5.1",
            node.clone(),
            vec![node_arg.clone()],
            node_env.clone(),
        ),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut samples = Vec::new();
        for _ in 0..runs {
            let started = Instant::now();
            let s = spawn(&program, &args, &env).await;
            s.client.list_all_tools().await.expect("tools/list");
            samples.push(started.elapsed().as_secs_f64() * 1000.0);
            s.client.cancel().await.ok();
        }
        let (cold, _) = median_p90(samples);
        let s = spawn(&program, &args, &env).await;
        // Both connect every saved server at start-up; give them time, then read the peak.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let list_started = Instant::now();
        let agents = client::call(&s.client, "list_agents", json!({})).await;
        let list_ms = list_started.elapsed().as_secs_f64() * 1000.0;
        let rss = peak_rss_kib(s.pid);
        let listed = match agents.as_ref().map(|v| v.to_string().len()) {
            Ok(bytes) => format!("{} ({bytes} bytes)", ms(list_ms)),
            Err(e) => format!("failed: {}", e.chars().take(80).collect::<String>()),
        };
        rows.push(vec![name.to_owned(), ms(cold), mib(rss), listed]);
        s.client.cancel().await.ok();
    }
    report.add(Table {
        title: "Side by side with the Node NovaBACKUP MCP".into(),
        target: "beat @novabackup/management-server-mcp@0.5.1 on every column".into(),
        header: vec![
            "server".into(),
            "cold start (median)".into(),
            "peak RSS, 20 servers".into(),
            "list_agents over 20 servers".into(),
        ],
        rows,
        note: Some(format!(
            "Same Management Server double (20 instances), cold start median of {runs}."
        )),
    });
}
