//! Benchmark sections and the report they fill.

mod client;
mod report;
mod sections;

pub use report::Report;

/// Runs every section in order; a section that cannot run says why in the report.
pub async fn run_all(quick: bool) -> Report {
    let mut report = Report::new();
    sections::cold_start(&mut report, quick).await;
    sections::peak_rss(&mut report, quick).await;
    sections::backrest_auth(&mut report, quick).await;
    sections::node_comparison(&mut report, quick).await;
    report
}
