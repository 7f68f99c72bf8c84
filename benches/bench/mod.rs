//! Benchmark sections and the report they fill.

mod client;
mod report;
mod sections;

pub use report::Report;

/// Runs the sections named in `only` (all when empty), in order; a section that cannot run
/// says why in the report.
pub async fn run_all(quick: bool, only: &[String]) -> Report {
    let mut report = Report::new();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    if wanted("cold") {
        sections::cold_start(&mut report, quick).await;
    }
    if wanted("rss") {
        sections::peak_rss(&mut report, quick).await;
    }
    if wanted("fanout") {
        sections::fan_out(&mut report, quick).await;
    }
    if wanted("summary") {
        sections::big_summary(&mut report, quick).await;
    }
    if wanted("backrest") {
        sections::backrest_auth(&mut report, quick).await;
    }
    if wanted("node") {
        sections::node_comparison(&mut report, quick).await;
    }
    report
}
