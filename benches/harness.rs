//! The benchmark harness: drives the release `backup-mcp` binary over stdio with rmcp's client,
//! against the in-process test doubles, and writes the results into BENCHMARKS.md.
//!
//! Run with `cargo bench --bench harness`. `-- --quick` makes a fast, smaller run and
//! `-- cold rss fanout summary backrest node` picks sections; either way BENCHMARKS.md is only
//! rewritten by a full run of every section. Performance is measured here, never in timed tests.

mod bench;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    // cargo passes `--bench` to harness-less benches; section names are the other bare words.
    let only: Vec<String> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .cloned()
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let report = runtime.block_on(bench::run_all(quick, &only));
    println!("{}", report.markdown());
    if !quick && only.is_empty() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("BENCHMARKS.md");
        report.write_into(&path).expect("write BENCHMARKS.md");
        println!("wrote {}", path.display());
    }
}
