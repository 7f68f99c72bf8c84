//! The endpoint table of docs/upstream/novabackup.md §9.1: which path means which route, and its method.

/// One of the 14 endpoints of the double.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Authenticate,
    Agents,
    Agent(i64),
    AgentDevices(i64),
    AgentJobs(i64),
    AgentSources(i64),
    CloudStorageAccounts,
    StorageServers,
    StorageServer(i64),
    Groups,
    JobHistories,
    RunLog(i64),
    Users,
    User(i64),
}

/// Why a path matched no route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// No such endpoint (404).
    NotFound,
    /// The endpoint exists but its key is not an integer (400).
    BadKey(String),
}

impl Route {
    /// Match a path relative to `{base}/api/` (e.g. `Agents(101)/Devices`).
    pub fn parse(path: &str) -> Result<Route, RouteError> {
        let path = path.strip_suffix('/').unwrap_or(path);
        let segments: Vec<(&str, Option<&str>)> = path
            .split('/')
            .map(|s| match s.split_once('(') {
                None => Some((s, None)),
                Some((name, rest)) => Some((name, Some(rest.strip_suffix(')')?))),
            })
            .collect::<Option<_>>()
            .ok_or(RouteError::NotFound)?;
        let keyed = |make: fn(i64) -> Route, key: &str| {
            key.trim()
                .parse()
                .map(make)
                .map_err(|_| RouteError::BadKey(key.to_owned()))
        };
        match segments.as_slice() {
            [("Account", None), ("Authenticate", None)] => Ok(Route::Authenticate),
            [("Agents", None)] => Ok(Route::Agents),
            [("Agents", Some(k))] => keyed(Route::Agent, k),
            [("Agents", Some(k)), ("Devices", None)] => keyed(Route::AgentDevices, k),
            [("Agents", Some(k)), ("Jobs", None)] => keyed(Route::AgentJobs, k),
            [("Agents", Some(k)), ("BackupSources", None)] => keyed(Route::AgentSources, k),
            [("CloudStorageAccounts", None)] => Ok(Route::CloudStorageAccounts),
            [("StorageServers", None)] => Ok(Route::StorageServers),
            [("StorageServers", Some(k))] => keyed(Route::StorageServer, k),
            [("Groups", None)] => Ok(Route::Groups),
            [("JobHistories", None)] => Ok(Route::JobHistories),
            [("JobHistories", Some(k)), ("Log", None)] => keyed(Route::RunLog, k),
            [("Users", None)] => Ok(Route::Users),
            [("Users", Some(k))] => keyed(Route::User, k),
            _ => Err(RouteError::NotFound),
        }
    }

    /// The only method the route answers.
    pub fn method(self) -> &'static str {
        match self {
            Route::Authenticate => "POST",
            _ => "GET",
        }
    }

    /// The label under which [`super::Stats`] counts requests.
    pub fn label(self) -> &'static str {
        match self {
            Route::Authenticate => "Account/Authenticate",
            Route::Agents => "Agents",
            Route::Agent(_) => "Agents(id)",
            Route::AgentDevices(_) => "Agents(id)/Devices",
            Route::AgentJobs(_) => "Agents(id)/Jobs",
            Route::AgentSources(_) => "Agents(id)/BackupSources",
            Route::CloudStorageAccounts => "CloudStorageAccounts",
            Route::StorageServers => "StorageServers",
            Route::StorageServer(_) => "StorageServers(id)",
            Route::Groups => "Groups",
            Route::JobHistories => "JobHistories",
            Route::RunLog(_) => "JobHistories(key)/Log",
            Route::Users => "Users",
            Route::User(_) => "Users(id)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_and_nested_routes() {
        assert_eq!(
            Route::parse("Agents(101)/Devices"),
            Ok(Route::AgentDevices(101))
        );
        assert_eq!(
            Route::parse("JobHistories(70002)/Log"),
            Ok(Route::RunLog(70002))
        );
        assert_eq!(Route::parse("Groups/"), Ok(Route::Groups));
        assert_eq!(
            Route::parse("Agents(x)"),
            Err(RouteError::BadKey("x".into()))
        );
        assert_eq!(Route::parse("Agents(1"), Err(RouteError::NotFound));
        assert_eq!(Route::parse("Groups(1)"), Err(RouteError::NotFound));
        assert_eq!(Route::parse("Nope(x)"), Err(RouteError::NotFound));
    }
}
