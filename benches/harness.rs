//! The benchmark harness: drives the release `backup-mcp` binary over stdio with rmcp's client,
//! against the in-process test doubles, and writes the results into BENCHMARKS.md.
//!
//! Run with `cargo bench --bench harness` (add `-- --quick` for a fast partial run that does not
//! rewrite BENCHMARKS.md). Performance is measured here, never in timed tests.

mod bench;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let report = runtime.block_on(bench::run_all(quick));
    println!("{}", report.markdown());
    if !quick {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("BENCHMARKS.md");
        report.write_into(&path).expect("write BENCHMARKS.md");
        println!("wrote {}", path.display());
    }
}
