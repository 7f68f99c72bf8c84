//! What each data route answers, as JSON, once the request has passed auth and faults.

use serde_json::{Map, Value, json};

use super::dataset::{Dataset, Scope};
use super::entities::Entity;
use super::http::RawQuery;
use super::model::{Agent, JobHistory, StorageServer, User};
use super::odata::{self, Allowed, ODataError, QueryOptions, Row};
use super::routes::Route;

/// Everything a data route needs to answer.
pub struct Ctx<'a> {
    pub ds: &'a Dataset,
    pub scope: Scope,
    pub query: &'a RawQuery,
    /// `{origin}{prefix}/api`, for `@odata.context`.
    pub api_base: String,
    /// The absolute URL of this request without its query, for `@odata.nextLink`.
    pub self_url: String,
    /// Rows per page (`max_page_size`).
    pub cap: Option<usize>,
}

/// A data route's failure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
}

impl From<ODataError> for ApiError {
    fn from(e: ODataError) -> Self {
        ApiError::BadRequest(e.to_string())
    }
}

/// Answer a data route (anything but Authenticate).
pub fn answer(route: Route, ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let ds = ctx.ds;
    match route {
        Route::Authenticate => Err(ApiError::NotFound("not a data route".into())),
        Route::Agents => collection(ctx, "Agents", &ds.agents),
        Route::Agent(id) => entity(ctx, "Agents", agent(ctx, id)?),
        Route::AgentDevices(id) => collection(
            ctx,
            &format!("Agents({id})/Devices"),
            &agent(ctx, id)?.devices,
        ),
        Route::AgentJobs(id) => {
            collection(ctx, &format!("Agents({id})/Jobs"), &agent(ctx, id)?.jobs)
        }
        Route::AgentSources(id) => {
            let connected = agent(ctx, id)?.connected;
            let parent = ctx.query.param("path");
            let items = ds
                .backup_sources
                .iter()
                .filter(|s| connected && s.parent.as_deref() == parent);
            collection(ctx, "Collection(BackupSource)", items)
        }
        Route::CloudStorageAccounts => {
            collection(ctx, "CloudStorageAccounts", &ds.cloud_storage_accounts)
        }
        Route::StorageServers => collection(ctx, "StorageServers", &ds.storage_servers),
        Route::StorageServer(id) => {
            let found = ds
                .storage_servers
                .iter()
                .find(|s| s.storage_server_id == id);
            entity(
                ctx,
                "StorageServers",
                visible::<StorageServer>(ctx, found, id)?,
            )
        }
        Route::Groups => collection(ctx, "Groups", &ds.groups),
        Route::JobHistories => collection(ctx, "JobHistories", &ds.job_histories),
        Route::RunLog(key) => run_log(ctx, key),
        Route::Users => collection(ctx, "Users", &ds.users),
        Route::User(id) => {
            let found = ds.users.iter().find(|u| u.user_id == id);
            entity(ctx, "Users", visible::<User>(ctx, found, id)?)
        }
    }
}

fn visible<'a, T: Entity>(
    ctx: &Ctx<'_>,
    found: Option<&'a T>,
    key: i64,
) -> Result<&'a T, ApiError> {
    found
        .filter(|item| item.visible(ctx.ds, &ctx.scope))
        .ok_or_else(|| ApiError::NotFound(format!("No {} with key {key}.", T::TYPE_NAME)))
}

fn agent<'a>(ctx: &Ctx<'a>, id: i64) -> Result<&'a Agent, ApiError> {
    visible(ctx, ctx.ds.agent(id), id)
}

/// A collection answer: visible rows, query options applied, OData envelope.
fn collection<'a, T: Entity>(
    ctx: &Ctx<'a>,
    context: &str,
    items: impl IntoIterator<Item = &'a T>,
) -> Result<Value, ApiError> {
    let opts = QueryOptions::parse(ctx.query.options(), T::SCHEMA, Allowed::Collection)?;
    let rows = items
        .into_iter()
        .filter(|item| item.visible(ctx.ds, &ctx.scope))
        .map(|item| item as &dyn Row);
    let page = odata::run(rows, &opts, ctx.ds, ctx.cap);
    let mut envelope = Map::new();
    envelope.insert(
        "@odata.context".into(),
        json!(format!("{}/$metadata#{context}", ctx.api_base)),
    );
    if opts.count {
        envelope.insert("@odata.count".into(), json!(page.count));
    }
    envelope.insert("value".into(), Value::Array(page.value));
    if let Some((skip, top)) = page.next {
        let link = format!("{}?{}", ctx.self_url, ctx.query.with_page(skip, top));
        envelope.insert("@odata.nextLink".into(), json!(link));
    }
    Ok(Value::Object(envelope))
}

/// A single-entity answer with `$select`/`$expand` applied.
fn entity<T: Entity>(ctx: &Ctx<'_>, set: &str, item: &T) -> Result<Value, ApiError> {
    let opts = QueryOptions::parse(ctx.query.options(), T::SCHEMA, Allowed::Entity)?;
    let mut value = odata::shape(item, &opts, ctx.ds);
    if let Value::Object(map) = &mut value {
        let context = format!("{}/$metadata#{set}/$entity", ctx.api_base);
        map.insert("@odata.context".into(), json!(context));
    }
    Ok(value)
}

/// The Log route: `JobLogId` first, then `JobId` (newest run); 404 while not finished.
fn run_log(ctx: &Ctx<'_>, key: i64) -> Result<Value, ApiError> {
    if let Some((name, _)) = ctx.query.options().next() {
        return Err(ODataError::UnknownOption(name.to_owned()).into());
    }
    let run = ctx
        .ds
        .run_for_log_key(key)
        .filter(|r| JobHistory::visible(r, ctx.ds, &ctx.scope));
    let log = run.and_then(|r| ctx.ds.log_of(r));
    let log = log.ok_or_else(|| ApiError::NotFound(format!("No log for job run {key}.")))?;
    Ok(json!(log))
}
