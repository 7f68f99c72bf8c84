//! Backrest's RPCs on top of the fleet's connection (`Server::send`: bearer token, re-login on a
//! 401, retries of reads only). Every answer is decoded into `wire` types; every error becomes a
//! [`BackrestError`] with scrubbed text. Write calls take an [`Authorized`] proof: they cannot be reached
//! without passing the policy checks.

use std::time::Instant;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::error::BackrestError;
use super::stream::{self, LogText, StreamError};
use super::wire::{
    ConfigView, Dashboard, LsResponse, Operation, OperationIdReply, OperationList, RepoRef,
    Snapshot, SnapshotList,
};
use super::{redact, scrub};
use crate::fleet::{Request, Server};
use crate::policy::Authorized;
use crate::upstream::UpstreamError;
use crate::upstream::http::Reply;

/// The config: what tools navigate by, and the redacted document they may show.
#[derive(Debug, Clone)]
pub struct Config {
    pub view: ConfigView,
    pub redacted: Value,
}

/// `DoRepoTask.Task` values the gateway offers (never `TASK_FORGET`: bulk retention deletes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepoTask {
    Prune,
    Check,
    Stats,
    Unlock,
    IndexSnapshots,
}

impl RepoTask {
    pub fn parse(name: &str) -> Option<RepoTask> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "prune" => RepoTask::Prune,
            "check" => RepoTask::Check,
            "stats" => RepoTask::Stats,
            "unlock" => RepoTask::Unlock,
            "index" | "index_snapshots" => RepoTask::IndexSnapshots,
            _ => return None,
        })
    }

    fn wire_name(self) -> &'static str {
        match self {
            RepoTask::Prune => "TASK_PRUNE",
            RepoTask::Check => "TASK_CHECK",
            RepoTask::Stats => "TASK_STATS",
            RepoTask::Unlock => "TASK_UNLOCK",
            RepoTask::IndexSnapshots => "TASK_INDEX_SNAPSHOTS",
        }
    }
}

/// Calls on one Backrest server, all bounded by one deadline.
pub struct BackrestClient<'a> {
    server: &'a Server,
    deadline: Instant,
}

impl<'a> BackrestClient<'a> {
    pub fn new(server: &'a Server, deadline: Instant) -> Self {
        BackrestClient { server, deadline }
    }

    /// A unary call decoded into `T`.
    async fn unary<T: DeserializeOwned>(
        &self,
        method: &'static str,
        body: Value,
        idempotent: bool,
    ) -> Result<T, BackrestError> {
        let request = Request::post(format!("/v1.Backrest/{method}"), body, idempotent);
        self.call(method, &request).await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: &'static str,
        request: &Request,
    ) -> Result<T, BackrestError> {
        let reply = self.server.send(request, self.deadline).await?;
        let reply = check(method, reply)?;
        serde_json::from_slice(&reply.body).map_err(|e| BackrestError::Decode {
            method,
            detail: e.to_string(),
        })
    }

    /// `GetConfig`, redacted before it is returned.
    pub async fn config(&self) -> Result<Config, BackrestError> {
        let raw: Value = self.unary("GetConfig", json!({}), true).await?;
        let view = serde_json::from_value(raw.clone()).map_err(|e| BackrestError::Decode {
            method: "GetConfig",
            detail: e.to_string(),
        })?;
        Ok(Config {
            view,
            redacted: redact::config(raw),
        })
    }

    /// `ListSnapshots` of one repo, optionally only those a plan made.
    pub async fn snapshots(
        &self,
        repo_id: &str,
        plan_id: Option<&str>,
    ) -> Result<Vec<Snapshot>, BackrestError> {
        let mut body = json!({"repoId": repo_id});
        if let Some(plan) = plan_id {
            body["planId"] = json!(plan);
        }
        let list: SnapshotList = self.unary("ListSnapshots", body, true).await?;
        Ok(list.snapshots)
    }

    /// `ListSnapshotFiles`: one directory level (repo sent by id and guid, for 1.13 and 1.14).
    pub async fn snapshot_files(
        &self,
        repo: &RepoRef,
        snapshot_id: &str,
        path: &str,
    ) -> Result<LsResponse, BackrestError> {
        let body = json!({"repoId": repo.id, "repoGuid": repo.guid, "snapshotId": snapshot_id, "path": path});
        self.unary("ListSnapshotFiles", body, true).await
    }

    /// `GetSummaryDashboard` (host paths are never decoded).
    pub async fn dashboard(&self) -> Result<Dashboard, BackrestError> {
        self.unary("GetSummaryDashboard", json!({}), true).await
    }

    /// `GetOperations` with a selector (`{}` = all) and the newest `last_n`, in ascending id order.
    pub async fn operations(
        &self,
        selector: Value,
        last_n: usize,
    ) -> Result<Vec<Operation>, BackrestError> {
        let body = json!({"selector": selector, "lastN": last_n.to_string()});
        let list: OperationList = self.unary("GetOperations", body, true).await?;
        Ok(list.operations)
    }

    /// One operation by id, if it exists.
    pub async fn operation(&self, id: i64) -> Result<Option<Operation>, BackrestError> {
        let ops = self.operations(json!({"ids": [id.to_string()]}), 1).await?;
        Ok(ops.into_iter().find(|o| o.id.get() == id))
    }

    /// `GetLogs` (a server stream): the last `max_bytes` of a log's text.
    pub async fn log(&self, logref: &str, max_bytes: usize) -> Result<LogText, BackrestError> {
        let method = "GetLogs";
        let request = Request::post_raw(
            format!("/v1.Backrest/{method}"),
            stream::CONTENT_TYPE,
            stream::request_frame(&json!({"ref": logref})),
            true,
        );
        let reply = self.server.send(&request, self.deadline).await?;
        let reply = check(method, reply)?;
        stream::read_log(&reply.body, max_bytes).map_err(|e| match e {
            StreamError::Failed(code, message) => BackrestError::Rpc {
                method,
                status: 200,
                code,
                message: scrub::message(&message),
            },
            other => BackrestError::Decode {
                method,
                detail: other.to_string(),
            },
        })
    }

    /// `Backup`: blocks until the backup ends. Never retried; does not hold the server's request
    /// slot. Callers run it in the background (see `actions::trigger_backup`).
    pub async fn backup(
        &self,
        plan_id: &str,
        dry_run: bool,
        _proof: Authorized,
    ) -> Result<(), BackrestError> {
        let mut body = json!({"value": plan_id});
        if dry_run {
            body["dryRun"] = json!(true);
        }
        let request = Request::post("/v1.Backrest/Backup", body, false).long_running();
        self.call::<Value>("Backup", &request).await.map(drop)
    }

    /// `DoRepoTask`; the operation id when the task created one.
    pub async fn repo_task(
        &self,
        repo_id: &str,
        task: RepoTask,
        _proof: Authorized,
    ) -> Result<Option<i64>, BackrestError> {
        let body = json!({"repoId": repo_id, "task": task.wire_name()});
        let reply: OperationIdReply = self.unary("DoRepoTask", body, false).await?;
        Ok(nonzero(reply))
    }

    /// `Cancel` (both the 1.14 and the 1.13 field). Unknown ids also answer `{}`.
    pub async fn cancel(&self, operation_id: i64, _proof: Authorized) -> Result<(), BackrestError> {
        let id = operation_id.to_string();
        let body = json!({"operationId": id, "value": id});
        self.unary::<Value>("Cancel", body, false).await.map(drop)
    }

    /// `Forget` of exactly one snapshot: the snapshot id is required by the signature, so a
    /// bulk retention forget cannot be sent from here.
    pub async fn forget_snapshot(
        &self,
        repo_id: &str,
        plan_id: &str,
        snapshot_id: &str,
        _proof: Authorized,
    ) -> Result<Option<i64>, BackrestError> {
        if snapshot_id.is_empty() || plan_id.is_empty() {
            return Err(BackrestError::NotFound(
                "forget needs a snapshot id and its plan id".into(),
            ));
        }
        let body = json!({"repoId": repo_id, "planId": plan_id, "snapshotId": snapshot_id});
        let reply: OperationIdReply = self.unary("Forget", body, false).await?;
        Ok(nonzero(reply))
    }

    /// `Restore` into `target` (already checked by the restore path guard; never empty).
    pub async fn restore(
        &self,
        request: &RestoreRequest<'_>,
        _proof: Authorized,
    ) -> Result<Option<i64>, BackrestError> {
        let body = json!({
            "repoId": request.repo_id, "snapshotId": request.snapshot_id,
            "planId": request.plan_id, "path": request.path, "target": request.target,
        });
        let reply: OperationIdReply = self.unary("Restore", body, false).await?;
        Ok(nonzero(reply))
    }
}

/// What to restore where. The plan is required: Backrest refuses a restore without one.
#[derive(Debug, Clone)]
pub struct RestoreRequest<'a> {
    pub repo_id: &'a str,
    pub plan_id: &'a str,
    pub snapshot_id: &'a str,
    pub path: &'a str,
    pub target: &'a str,
}

fn nonzero(reply: OperationIdReply) -> Option<i64> {
    Some(reply.operation_id.get()).filter(|id| *id != 0)
}

/// Success passes; a Connect error becomes [`BackrestError::Rpc`]; anything else is classified
/// by status (the plain-text 401s, `404 page not found`, proxies' HTML).
fn check(method: &'static str, reply: Reply) -> Result<Reply, BackrestError> {
    if reply.is_success() {
        return Ok(reply);
    }
    let connect = reply
        .is_json()
        .then(|| serde_json::from_slice::<Value>(&reply.body).ok())
        .flatten()
        .and_then(|v| {
            let code = v.get("code")?.as_str()?.to_owned();
            let message = v.get("message").and_then(Value::as_str).unwrap_or("");
            Some((code, scrub::message(message)))
        });
    match connect {
        Some((code, message)) if code == "unauthenticated" => {
            Err(UpstreamError::Auth { detail: message }.into())
        }
        Some((code, message)) => Err(BackrestError::Rpc {
            method,
            status: reply.status,
            code,
            message,
        }),
        None => Err(match reply.into_status_error() {
            UpstreamError::Status { status, detail } => UpstreamError::Status {
                status,
                detail: scrub::message(&detail),
            },
            other => other,
        }
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, ct: &str, body: &str) -> Reply {
        Reply {
            status,
            content_type: ct.into(),
            body: bytes::Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn errors_are_classified_and_scrubbed() {
        let e = check(
            "ListSnapshotFiles",
            reply(500, "application/json", r#"{"code":"unknown","message":"x: command \"/bin/restic ls\" failed\nOutput:\nstderr"}"#),
        )
        .unwrap_err();
        assert_eq!(e.code(), Some("unknown"));
        assert!(!e.to_string().contains("/bin/restic"), "{e}");
        let e = check(
            "GetConfig",
            reply(
                401,
                "text/plain; charset=utf-8",
                "Unauthorized (Bad Token)\n",
            ),
        )
        .unwrap_err();
        assert_eq!(e.reason(), crate::upstream::FailureReason::Auth);
        let e = check(
            "Backup",
            reply(
                404,
                "application/json",
                r#"{"code":"not_found","message":"plan not found"}"#,
            ),
        )
        .unwrap_err();
        assert!(e.is_not_found());
        let e = check("X", reply(404, "text/plain", "404 page not found")).unwrap_err();
        assert_eq!(e.reason(), crate::upstream::FailureReason::UpstreamError);
    }

    #[test]
    fn repo_tasks_parse_and_forget_is_not_offered() {
        assert_eq!(RepoTask::parse("Prune"), Some(RepoTask::Prune));
        assert_eq!(RepoTask::parse("index"), Some(RepoTask::IndexSnapshots));
        assert_eq!(RepoTask::parse("forget"), None);
    }
}
