//! What goes wrong in generated runs, and how long runs take: real-looking NovaBACKUP engine
//! messages for failed and warning runs (their run logs), and durations that follow the bytes
//! at a plausible rate, so generated history reads like a real customer's.

use chrono::Duration;
use rand::Rng;
use rand::rngs::StdRng;

use super::model::{JobHistory, LogMessage, RunLog, status};

/// Why a run failed (`{host}` is the agent's machine name).
const FAILURES: [&str; 8] = [
    "VSS error: the shadow copy provider had an unexpected error while trying to process the specified operation (0x8004230F)",
    "Access to the path 'C:\\Users\\Public\\Documents' is denied (0x80070005)",
    "The network path was not found: \\\\{host}\\Backups$ (0x80070035)",
    "Destination device is full: not enough free space on D:\\Backups for the backup set",
    "Cloud device authentication failed (403): the access key of the storage account is not valid",
    "Connection to the storage server timed out after 300 seconds (s3.example.net:443)",
    "SQL Server VSS Writer is in a failed state (state 8: failed at prepare snapshot)",
    "The agent lost its connection to the Management Server during the backup",
];

/// What a run with warnings skipped.
const WARNINGS: [&str; 4] = [
    "File skipped, in use by another process: C:\\Users\\frontdesk\\AppData\\Local\\Microsoft\\Outlook\\frontdesk.ost",
    "Access denied, file skipped: C:\\Data\\Payroll\\payroll-2026.xlsx",
    "Path longer than 260 characters, file skipped: C:\\Data\\Projects\\...\\drawing-rev12.dwg",
    "VSS snapshot not available for volume E:\\, open files were backed up without it",
];

/// Backup throughput in MB/s of an agent's job (disk, network and cloud upload together).
const RATE_MB_S: std::ops::Range<i64> = 12..110;

/// Seconds a run of `bytes` takes: a start-up (VSS, scan) plus the data at a plausible rate.
pub fn seconds_for(bytes: i64, rng: &mut StdRng) -> i64 {
    let rate = rng.random_range(RATE_MB_S) * 1_000_000;
    rng.random_range(20..120) + bytes / rate
}

/// Makes a failed or warning run's counters say what the log says: a failure stops part way
/// (or before anything was read), a warning skips a few files.
pub fn settle_counters(run: &mut JobHistory, rng: &mut StdRng) {
    let size = run.size_in_bytes.unwrap_or(0);
    let files = (size / 1_500_000).max(1);
    run.files_processed = Some(files);
    run.files_finished = Some(files);
    run.bytes_finished = run.bytes_processed;
    match run.status {
        status::WARNING => {
            let skipped = rng.random_range(1..=files.min(12));
            run.files_finished = Some(files - skipped);
        }
        status::FAILED if run.bytes_processed.unwrap_or(0) > 0 => {
            let done = rng.random_range(5..90);
            run.bytes_finished = Some(size * done / 100);
            run.files_finished = Some(files * done / 100);
        }
        _ => {}
    }
}

/// The run log of a failed or warning run, with a reason from the tables; `None` otherwise.
pub fn log_of(run: &JobHistory, host: &str, rng: &mut StdRng) -> Option<RunLog> {
    let start = run.start_date_time?;
    let end = run.end_date_time.unwrap_or(start);
    let (kind, reason, last) = match run.status {
        status::FAILED => (
            "Error",
            FAILURES[rng.random_range(0..FAILURES.len())],
            "Backup failed",
        ),
        status::WARNING => (
            "Warning",
            WARNINGS[rng.random_range(0..WARNINGS.len())],
            "Backup completed with warnings",
        ),
        _ => return None,
    };
    let line = |kind: &str, time, message: &str| LogMessage {
        kind: kind.into(),
        time,
        message: message.into(),
    };
    let shadow = start + Duration::seconds(4);
    Some(RunLog {
        script_file_path: format!("C:\\ProgramData\\NovaStor\\Jobs\\{}.nsscript", run.job_name),
        messages: vec![
            line("Information", start, "Backup started"),
            line("Information", shadow, "Creating volume shadow copy"),
            line(
                kind,
                end - Duration::seconds(2),
                &reason.replace("{host}", host),
            ),
            line(kind, end, last),
        ],
    })
}
