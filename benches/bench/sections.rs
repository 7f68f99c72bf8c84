//! One function per benchmark section; each adds a table to the report.

use std::sync::Arc;
use std::time::{Duration, Instant};

use backup_mcp::doubles::novabackup::{Dataset, InstanceConfig, NovaDouble, SAMPLE_USERS};
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

/// Placeholder until the Backrest tools exist: measured in a later section.
pub async fn backrest_auth(_report: &mut Report, _quick: bool) {}

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
        let listed = match agents {
            Ok(v) => format!("{} ({} bytes)", ms(list_ms), v.to_string().len()),
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
