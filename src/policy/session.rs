//! One write attempt on its way through the checks: every refusal writes a `denied` audit line,
//! [`WriteSession::authorize`] hands out the [`Permit`] the connector's write calls require (only
//! once the tenant was checked, and for destructive calls the human asked), and
//! [`WriteSession::finish`] writes the `allowed` line with the outcome.

use std::collections::BTreeSet;
use std::time::Instant;

use serde_json::Value;

use super::confirm::{self, HumanConfirmation};
use super::{Refusal, tenant};
use crate::audit::{AuditLog, AuditRecord, AuditSink};

/// Why a write did not happen (or could not be recorded).
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("refused: {0}")]
    Refused(String),
    #[error(
        "refused: the audit log cannot be written ({0}). Fix the file or BACKUP_MCP_AUDIT_LOG and try again"
    )]
    AuditUnavailable(String),
    #[error("{0}")]
    Failed(String),
    #[error(
        "the write was sent ({}) but its audit line could not be written: {error}",
        operation_text(.operation_id)
    )]
    AuditAfterWrite {
        operation_id: Option<String>,
        error: String,
    },
}

/// "operation 77", or what to say when the write gave no id.
fn operation_text(operation_id: &Option<String>) -> String {
    match operation_id {
        Some(id) => format!("operation {id}"),
        None => "no operation id was returned".to_owned(),
    }
}

/// A write that passed every check: holds the opened audit log for the outcome line and hands
/// out the [`Authorized`] token the connector's write calls require.
#[derive(Debug)]
pub struct Permit {
    sink: AuditSink,
}

impl Permit {
    pub fn authorized(&self) -> Authorized {
        Authorized(())
    }
}

/// Proof (only obtainable from a [`Permit`]) that a write passed the policy checks.
#[derive(Debug, Clone, Copy)]
pub struct Authorized(());

/// One write attempt.
pub struct WriteSession<'a> {
    audit: &'a AuditLog,
    tool: &'static str,
    server_id: String,
    tenant_id: String,
    args: Value,
    destructive: bool,
    started: Instant,
    tenant_checked: bool,
    human_asked: bool,
    confirmation: Option<&'static str>,
}

impl<'a> WriteSession<'a> {
    pub fn begin(
        audit: &'a AuditLog,
        tool: &'static str,
        server_id: &str,
        tenant_id: &str,
        args: Value,
        destructive: bool,
    ) -> Self {
        WriteSession {
            audit,
            tool,
            server_id: server_id.to_owned(),
            tenant_id: tenant_id.to_owned(),
            args,
            destructive,
            started: Instant::now(),
            tenant_checked: false,
            human_asked: false,
            confirmation: None,
        }
    }

    /// The tenant allowlist, against the target server's tenant.
    pub fn check_tenant(&mut self, allowed: Option<&BTreeSet<String>>) -> Result<(), WriteError> {
        let tenant = self.tenant_id.clone();
        self.require(tenant::check(allowed, &tenant))?;
        self.tenant_checked = true;
        Ok(())
    }

    /// Passes a check's value through, or refuses (and audits) with its reason.
    pub fn require<T>(&mut self, check: Result<T, Refusal>) -> Result<T, WriteError> {
        check.map_err(|r| self.deny(r.0))
    }

    /// Asks the human (when the client can show forms); anything but a confirmation refuses.
    pub async fn confirm_with_human(
        &mut self,
        human: &dyn HumanConfirmation,
        message: &str,
    ) -> Result<(), WriteError> {
        let answer = human.ask(message).await;
        let how = self.require(confirm::decide(answer))?;
        self.human_asked = true;
        self.confirmation = Some(how);
        Ok(())
    }

    /// Every check passed: opens the audit log (refusing if it cannot be written).
    pub fn authorize(&mut self) -> Result<Permit, WriteError> {
        if !self.tenant_checked || (self.destructive && !self.human_asked) {
            return Err(self.deny("internal error: a required safety check was skipped".into()));
        }
        match self.audit.open() {
            Ok(sink) => Ok(Permit { sink }),
            Err(e) => {
                tracing::error!(tool = self.tool, server_id = %self.server_id, "write refused: {e}");
                Err(WriteError::AuditUnavailable(e.to_string()))
            }
        }
    }

    /// Authorizes, runs the write with its proof, and records the outcome: the one way a write
    /// tool reaches the server.
    pub async fn execute<T, E, Fut>(
        mut self,
        act: impl FnOnce(Authorized) -> Fut,
        operation_id: impl Fn(&T) -> Option<String>,
    ) -> Result<T, WriteError>
    where
        E: std::fmt::Display,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        let permit = self.authorize()?;
        let result = act(permit.authorized()).await;
        match result {
            Ok(value) => {
                let id = operation_id(&value);
                self.finish(permit, Ok(id))?;
                Ok(value)
            }
            Err(e) => {
                let text = e.to_string();
                Err(match self.finish(permit, Err(text)) {
                    Err(e) => e,
                    Ok(()) => WriteError::Failed(e.to_string()),
                })
            }
        }
    }

    /// Records the outcome of the write; `outcome` is the operation id or the error text.
    pub fn finish(
        self,
        mut permit: Permit,
        outcome: Result<Option<String>, String>,
    ) -> Result<(), WriteError> {
        let (result, reason, operation_id) = match &outcome {
            Ok(id) => ("ok", self.confirmation.map(str::to_owned), id.clone()),
            Err(e) => ("error", Some(e.clone()), None),
        };
        let record = self.record("allowed", reason, result, operation_id.clone());
        if let Err(e) = self.audit.write(&mut permit.sink, &record) {
            tracing::error!(tool = self.tool, "audit line lost after a write: {e}");
            return Err(WriteError::AuditAfterWrite {
                operation_id,
                error: e.to_string(),
            });
        }
        outcome.map(drop).map_err(WriteError::Failed)
    }

    /// Writes the `denied` line and returns the refusal (an unwritable log is reported too).
    fn deny(&self, reason: String) -> WriteError {
        let record = self.record("denied", Some(reason.clone()), "error", None);
        if let Err(e) = self.audit.append(&record) {
            tracing::error!(tool = self.tool, "audit line of a refused write lost: {e}");
            return WriteError::Refused(format!(
                "{reason} (and the audit log cannot be written: {e})"
            ));
        }
        WriteError::Refused(reason)
    }

    fn record(
        &self,
        decision: &'static str,
        reason: Option<String>,
        outcome: &'static str,
        operation_id: Option<String>,
    ) -> AuditRecord {
        AuditRecord {
            ts: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
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

    #[test]
    fn audit_failure_messages_carry_no_debug_text() {
        let with = WriteError::AuditAfterWrite {
            operation_id: Some("77".into()),
            error: "disk full".into(),
        };
        assert_eq!(
            with.to_string(),
            "the write was sent (operation 77) but its audit line could not be written: disk full"
        );
        let without = WriteError::AuditAfterWrite {
            operation_id: None,
            error: "disk full".into(),
        };
        assert!(!without.to_string().contains("None"), "{without}");
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

    #[tokio::test]
    async fn refusals_and_outcomes_are_audited() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        let log = AuditLog::new(Some(path.clone()));
        let allowed: BTreeSet<String> = ["acme".to_owned()].into();

        let mut s = WriteSession::begin(&log, "trigger_backup", "s1", "other", Value::Null, false);
        assert!(matches!(
            s.check_tenant(Some(&allowed)),
            Err(WriteError::Refused(_))
        ));

        let mut s = WriteSession::begin(&log, "forget_snapshot", "s1", "acme", Value::Null, true);
        s.check_tenant(Some(&allowed)).unwrap();
        assert!(
            s.authorize().is_err(),
            "destructive without asking the human"
        );

        let mut s = WriteSession::begin(&log, "forget_snapshot", "s1", "acme", Value::Null, true);
        s.check_tenant(Some(&allowed)).unwrap();
        assert!(
            s.confirm_with_human(&Answer(HumanAnswer::Declined), "ok?")
                .await
                .is_err()
        );

        let mut s = WriteSession::begin(&log, "forget_snapshot", "s1", "acme", Value::Null, true);
        s.check_tenant(Some(&allowed)).unwrap();
        s.confirm_with_human(&Answer(HumanAnswer::Confirmed), "ok?")
            .await
            .unwrap();
        let permit = s.authorize().unwrap();
        s.finish(permit, Ok(Some("42".into()))).unwrap();

        let l = lines(&path);
        assert_eq!(l.len(), 4);
        assert_eq!(l[0]["decision"], "denied");
        assert_eq!(l[3]["decision"], "allowed");
        assert_eq!(l[3]["outcome"], "ok");
        assert_eq!(l[3]["operation_id"], "42");
    }

    #[test]
    fn an_unwritable_log_refuses_the_write() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(Some(dir.path().to_path_buf()));
        let mut s = WriteSession::begin(&log, "trigger_backup", "s1", "t", Value::Null, false);
        s.check_tenant(None).unwrap();
        assert!(matches!(
            s.authorize(),
            Err(WriteError::AuditUnavailable(_))
        ));
    }
}
