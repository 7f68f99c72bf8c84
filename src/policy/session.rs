//! One call of a write tool on its way through the checks. It is begun before the arguments are
//! validated, so every call leaves an audit line: each refusal writes a `denied` line, and
//! [`WriteSession::execute`] writes the `intent` line (fsynced; if it fails nothing is sent), runs
//! the write with the [`Authorized`] proof the connector's write calls require, and writes the
//! `outcome` line. A lost outcome line never turns a done write into an error (that would invite
//! a second one): the result carries a warning instead.

use std::time::Instant;

use serde_json::Value;

use super::Refusal;
use super::confirm::{self, HumanConfirmation};
use super::tenant::{Labelled, TenantPolicy};
use crate::audit::{AuditError, AuditLog, AuditRecord, Decision, Outcome, Phase};

/// Why a write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("refused: {0}")]
    Refused(String),
    #[error(
        "refused, nothing was sent: the audit log cannot be written ({0}). Fix the file or BACKUP_MCP_AUDIT_LOG and try again"
    )]
    AuditUnavailable(String),
    #[error("{0}")]
    Failed(String),
}

/// What a write that was sent returns: its value and, when its outcome line could not be
/// written, a warning saying so.
#[derive(Debug)]
pub struct Executed<T> {
    pub value: T,
    pub audit_warning: Option<String>,
}

/// Proof (only obtainable from [`WriteSession::execute`], after every check and the intent line)
/// that a write may be sent.
#[derive(Debug, Clone, Copy)]
pub struct Authorized(());

/// The server a write goes to, as the tenant check needs it.
#[derive(Debug, Clone, Copy)]
pub struct Target<'t> {
    pub server_id: &'t str,
    pub tenant_id: &'t str,
    pub labelled: Labelled,
}

/// One write attempt.
pub struct WriteSession<'a> {
    audit: &'a AuditLog,
    tool: &'static str,
    attempt: String,
    server_id: String,
    tenant_id: Option<String>,
    args: Value,
    destructive: bool,
    started: Instant,
    target_checked: bool,
    human_asked: bool,
    confirmation: Option<&'static str>,
}

impl<'a> WriteSession<'a> {
    /// Starts an attempt on the server the call names (not yet known to exist).
    pub fn begin(
        audit: &'a AuditLog,
        tool: &'static str,
        server_id: &str,
        args: Value,
        destructive: bool,
    ) -> Self {
        WriteSession {
            audit,
            tool,
            attempt: format!("{:016x}", rand::random::<u64>()),
            server_id: server_id.to_owned(),
            tenant_id: None,
            args,
            destructive,
            started: Instant::now(),
            target_checked: false,
            human_asked: false,
            confirmation: None,
        }
    }

    /// The target server is known: its tenant rules (allowlist, who labelled it).
    pub async fn check_target(
        &mut self,
        target: Target<'_>,
        policy: TenantPolicy<'_>,
    ) -> Result<(), WriteError> {
        self.server_id = target.server_id.to_owned();
        self.tenant_id = Some(target.tenant_id.to_owned());
        self.require(policy.check(target.tenant_id, target.labelled))
            .await?;
        self.target_checked = true;
        Ok(())
    }

    /// Passes a check's value through, or refuses (and audits) with its reason.
    pub async fn require<T>(&mut self, check: Result<T, Refusal>) -> Result<T, WriteError> {
        match check {
            Ok(v) => Ok(v),
            Err(r) => Err(self.deny(r.0).await),
        }
    }

    /// Writes the `denied` line of a call refused before the policy checks (a bad argument).
    pub async fn record_refusal(&self, reason: &str) -> Result<(), AuditError> {
        let record = self.record(
            Phase::Outcome,
            Decision::Denied,
            Some(reason.to_owned()),
            Some(Outcome::Refused),
            None,
        );
        self.audit.write(&record).await.inspect_err(|e| {
            tracing::error!(tool = self.tool, "audit line of a refused write lost: {e}");
        })
    }

    /// Asks the human (when the client can show forms); anything but a confirmation refuses.
    pub async fn confirm_with_human(
        &mut self,
        human: &dyn HumanConfirmation,
        message: &str,
    ) -> Result<(), WriteError> {
        let answer = human.ask(message).await;
        let how = self.require(confirm::decide(answer)).await?;
        self.human_asked = true;
        self.confirmation = Some(how);
        Ok(())
    }

    /// Writes the intent line, runs the write once with its proof, and writes the outcome line:
    /// the one way a write tool reaches the server.
    pub async fn execute<T, E, Fut>(
        self,
        act: impl FnOnce(Authorized) -> Fut,
        operation_id: impl Fn(&T) -> Option<String>,
    ) -> Result<Executed<T>, WriteError>
    where
        E: std::fmt::Display,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        let proof = self.authorize().await?;
        let result = act(proof).await;
        let (outcome, reason, id) = match &result {
            Ok(value) => (
                Outcome::Ok,
                self.confirmation.map(str::to_owned),
                operation_id(value),
            ),
            Err(e) => (Outcome::Error, Some(e.to_string()), None),
        };
        let record = self.record(
            Phase::Outcome,
            Decision::Allowed,
            reason,
            Some(outcome),
            id.clone(),
        );
        let lost = self.audit.write(&record).await.err().map(|e| {
            tracing::error!(tool = self.tool, attempt = %self.attempt, "audit outcome line lost after a write: {e}");
            e
        });
        match (result, lost) {
            (Ok(value), None) => Ok(Executed {
                value,
                audit_warning: None,
            }),
            (Ok(value), Some(e)) => Ok(Executed {
                value,
                audit_warning: Some(format!(
                    "the write was done (operation {}), but its audit outcome line could not be written ({e}); the intent line of attempt {} was. Do not repeat the write",
                    id.as_deref().unwrap_or("unknown"),
                    self.attempt
                )),
            }),
            (Err(e), None) => Err(WriteError::Failed(e.to_string())),
            (Err(e), Some(a)) => Err(WriteError::Failed(format!(
                "{e} (and its audit outcome line could not be written: {a})"
            ))),
        }
    }

    /// Every check passed: writes the intent line, refusing the write if it cannot.
    async fn authorize(&self) -> Result<Authorized, WriteError> {
        if !self.target_checked || (self.destructive && !self.human_asked) {
            return Err(self
                .deny("internal error: a required safety check was skipped".into())
                .await);
        }
        let record = self.record(Phase::Intent, Decision::Allowed, None, None, None);
        match self.audit.write(&record).await {
            Ok(()) => Ok(Authorized(())),
            Err(e) => {
                tracing::error!(tool = self.tool, server_id = %self.server_id, "write refused: {e}");
                Err(WriteError::AuditUnavailable(e.to_string()))
            }
        }
    }

    /// Writes the `denied` line and returns the refusal (an unwritable log is reported too).
    async fn deny(&self, reason: String) -> WriteError {
        match self.record_refusal(&reason).await {
            Ok(()) => WriteError::Refused(reason),
            Err(e) => WriteError::Refused(format!(
                "{reason} (and the audit log cannot be written: {e})"
            )),
        }
    }

    fn record(
        &self,
        phase: Phase,
        decision: Decision,
        reason: Option<String>,
        outcome: Option<Outcome>,
        operation_id: Option<String>,
    ) -> AuditRecord {
        AuditRecord {
            ts: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            attempt: self.attempt.clone(),
            phase,
            tool: self.tool.to_owned(),
            server_id: self.server_id.clone(),
            tenant_id: self.tenant_id.clone(),
            args: self.args.clone(),
            decision,
            reason,
            outcome,
            operation_id,
            duration_ms: self.started.elapsed().as_millis() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::HumanAnswer;
    use futures::future::BoxFuture;
    use std::collections::BTreeSet;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Runs the session's write with an action that records whether it was ever called.
    async fn execute_recording(s: WriteSession<'_>) -> (Result<Executed<()>, WriteError>, bool) {
        let sent = AtomicBool::new(false);
        let result = s
            .execute(
                |_| async {
                    sent.store(true, Ordering::SeqCst);
                    Ok::<_, String>(())
                },
                |_| None,
            )
            .await;
        (result, sent.load(Ordering::SeqCst))
    }

    struct Answer(HumanAnswer);
    impl HumanConfirmation for Answer {
        fn ask<'a>(&'a self, _: &'a str) -> BoxFuture<'a, HumanAnswer> {
            Box::pin(async move { self.0.clone() })
        }
    }

    fn lines(path: &std::path::Path) -> Vec<Value> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn saved(tenant: &str) -> Target<'_> {
        Target {
            server_id: "s1",
            tenant_id: tenant,
            labelled: Labelled::ByOperator,
        }
    }

    fn policy(allowed: Option<&BTreeSet<String>>) -> TenantPolicy<'_> {
        TenantPolicy {
            allowed,
            allow_session_writes: false,
        }
    }

    #[tokio::test]
    async fn refusals_intents_and_outcomes_are_audited() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        let log = AuditLog::new(Some(path.clone()));
        let allowed: BTreeSet<String> = ["acme".to_owned()].into();
        let p = policy(Some(&allowed));

        let mut s = WriteSession::begin(&log, "trigger_backup", "s1", Value::Null, false);
        assert!(matches!(
            s.check_target(saved("other"), p).await,
            Err(WriteError::Refused(_))
        ));

        let mut s = WriteSession::begin(&log, "forget_snapshot", "s1", Value::Null, true);
        s.check_target(saved("acme"), p).await.unwrap();
        let (skipped, sent) = execute_recording(s).await;
        assert!(skipped.is_err(), "destructive without asking the human");
        assert!(!sent);

        let mut s = WriteSession::begin(&log, "forget_snapshot", "s1", Value::Null, true);
        s.check_target(saved("acme"), p).await.unwrap();
        assert!(
            s.confirm_with_human(&Answer(HumanAnswer::Declined), "ok?")
                .await
                .is_err()
        );

        let mut s = WriteSession::begin(&log, "forget_snapshot", "s1", Value::Null, true);
        s.check_target(saved("acme"), p).await.unwrap();
        s.confirm_with_human(&Answer(HumanAnswer::Confirmed), "ok?")
            .await
            .unwrap();
        let done = s
            .execute(|_| async { Ok::<_, String>(42) }, |v| Some(v.to_string()))
            .await
            .unwrap();
        assert_eq!((done.value, done.audit_warning), (42, None));

        let l = lines(&path);
        assert_eq!(l.len(), 5);
        assert!(l[..3].iter().all(|l| l["decision"] == "denied"
            && l["outcome"] == "refused"
            && l["phase"] == "outcome"));
        assert_eq!(l[3]["phase"], "intent");
        assert!(l[3]["outcome"].is_null());
        assert_eq!(l[4]["phase"], "outcome");
        assert_eq!(l[4]["outcome"], "ok");
        assert_eq!(l[4]["operation_id"], "42");
        assert_eq!(l[3]["attempt"], l[4]["attempt"]);
        assert_ne!(l[2]["attempt"], l[3]["attempt"]);
    }

    #[tokio::test]
    async fn an_unwritable_intent_sends_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(Some(dir.path().to_path_buf()));
        let mut s = WriteSession::begin(&log, "trigger_backup", "s1", Value::Null, false);
        s.check_target(saved("t"), policy(None)).await.unwrap();
        let (result, sent) = execute_recording(s).await;
        assert!(matches!(result, Err(WriteError::AuditUnavailable(_))));
        assert!(!sent);
    }

    #[tokio::test]
    async fn a_lost_outcome_line_keeps_the_success_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        let log = AuditLog::new(Some(path.clone()));
        let mut s = WriteSession::begin(&log, "trigger_backup", "s1", Value::Null, false);
        s.check_target(saved("t"), policy(None)).await.unwrap();
        let done = s
            .execute(
                |_| async {
                    // The file is swapped for a directory while the write runs.
                    std::fs::rename(&path, dir.path().join("rotated")).unwrap();
                    std::fs::create_dir(&path).unwrap();
                    Ok::<_, String>(7)
                },
                |v| Some(v.to_string()),
            )
            .await
            .unwrap();
        assert_eq!(done.value, 7);
        let warning = done.audit_warning.unwrap();
        assert!(
            warning.contains("operation 7") && warning.contains("Do not repeat"),
            "{warning}"
        );
        let l = lines(&dir.path().join("rotated"));
        assert_eq!(l.len(), 1);
        assert_eq!(l[0]["phase"], "intent");
    }
}
