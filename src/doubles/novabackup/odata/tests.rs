//! Parser and evaluator tests against the sample dataset.

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use super::super::entities::Entity;
use super::super::model::{Agent, Group, JobHistory};
use super::{Allowed, ODataError, QueryOptions, Row, run};
use crate::doubles::novabackup::Dataset;

fn sample() -> Dataset {
    Dataset::sample(Utc.with_ymd_and_hms(2026, 11, 22, 1, 24, 20).unwrap())
}

/// Run `pairs` over `items`; the rows as JSON.
fn query<T: Entity>(
    ds: &Dataset,
    items: &[T],
    pairs: &[(&str, &str)],
) -> Result<Vec<Value>, ODataError> {
    let opts = QueryOptions::parse(pairs.iter().copied(), T::SCHEMA, Allowed::Collection)?;
    let rows = items.iter().map(|i| i as &dyn Row);
    Ok(run(rows, &opts, ds, None).value)
}

/// The values of one member of each row.
fn column(rows: &[Value], name: &str) -> Vec<Value> {
    rows.iter().map(|r| r[name].clone()).collect()
}

fn agent_ids(filter: &str) -> Vec<Value> {
    let ds = sample();
    column(
        &query(&ds, &ds.agents, &[("$filter", filter)]).unwrap(),
        "AgentId",
    )
}

fn run_ids(filter: &str) -> Vec<Value> {
    let ds = sample();
    let pairs = [("$filter", filter), ("$orderby", "JobLogId")];
    column(&query(&ds, &ds.job_histories, &pairs).unwrap(), "JobLogId")
}

#[test]
fn comparison_logic_and_functions() {
    assert_eq!(
        agent_ids("Connected eq true and contains(FriendlyName, 'acme')"),
        [json!(101)]
    );
    assert_eq!(
        agent_ids("startswith(FriendlyName,'brl') or AgentId eq 102"),
        [json!(102), json!(103), json!(104)]
    );
    assert_eq!(agent_ids("endswith(MachineName, '-7')"), [json!(103)]);
    assert_eq!(
        agent_ids("not (AgentId le 102) and not Connected eq false"),
        [json!(103), json!(104)]
    );
    assert_eq!(agent_ids("LastBackupStatus eq null"), [json!(103)]);
    assert_eq!(
        agent_ids("LastBackupStatus ne null and LastBackupStatus ge 2"),
        [json!(102), json!(104)]
    );
    assert_eq!(agent_ids("Connected"), [json!(101), json!(103), json!(104)]);
    assert_eq!(
        agent_ids("AgentId gt 101.5 and AgentId lt 103"),
        [json!(102)]
    );
}

#[test]
fn navigation_paths_and_guids() {
    let acme = "Group/TenantId eq '3f2c8a4e-1b7d-4c1a-9e55-0a1b2c3d4e5f'";
    assert_eq!(agent_ids(acme), [json!(101), json!(102)]);
    let bare = "Group/TenantId eq 8d0e6b12-5a43-4f7e-8c21-9f8e7d6c5b4a";
    assert_eq!(agent_ids(bare), [json!(103), json!(104)]);
    assert_eq!(
        run_ids("Agent/FriendlyName eq 'ACME-FS01'"),
        [json!(70002), json!(70005)]
    );
}

#[test]
fn null_job_ids_and_dates_compare_as_instants() {
    assert_eq!(run_ids("JobId eq null"), [json!(70003), json!(70008)]);
    // 2026-11-21T20:24:20Z (run 70002's start) written with a +01:00 offset.
    assert_eq!(
        run_ids("StartDateTime eq 2026-11-21T21:24:20+01:00"),
        [json!(70002)]
    );
    let recent = "StartDateTime gt 2026-11-21T20:24:19.999Z and Status ne 1";
    assert_eq!(run_ids(recent), [json!(70002), json!(70007), json!(70008)]);
    let managed = "(StartDateTime gt 2026-11-20T00:00:00Z and Status ne 1) and (JobId ne null)";
    assert_eq!(run_ids(managed), [json!(70002), json!(70006), json!(70007)]);
}

#[test]
fn order_nulls_first_multi_key_then_page() {
    let ds = sample();
    let asc = query(&ds, &ds.agents, &[("$orderby", "LastBackupDate")]).unwrap();
    assert_eq!(
        column(&asc, "AgentId"),
        [json!(103), json!(102), json!(104), json!(101)]
    );
    let desc = query(&ds, &ds.agents, &[("$orderby", "LastBackupDate desc")]).unwrap();
    assert_eq!(
        column(&desc, "AgentId"),
        [json!(101), json!(104), json!(102), json!(103)]
    );
    let multi = [
        ("$orderby", "Connected desc, AgentId desc"),
        ("$skip", "1"),
        ("$top", "2"),
    ];
    assert_eq!(
        column(&query(&ds, &ds.agents, &multi).unwrap(), "AgentId"),
        [json!(103), json!(101)]
    );
    let paged = [
        ("$orderby", "StartDateTime desc"),
        ("$top", "2"),
        ("$skip", "1"),
    ];
    assert_eq!(
        column(&query(&ds, &ds.job_histories, &paged).unwrap(), "JobLogId"),
        [json!(70007), json!(70004)]
    );
    assert!(query(&ds, &ds.agents, &[("$top", "0")]).unwrap().is_empty());
}

#[test]
fn select_and_nested_expand() {
    let ds = sample();
    let pairs = [
        ("$filter", "AgentId eq 101"),
        ("$select", "AgentId,FriendlyName"),
        (
            "$expand",
            "Group($select=GroupId,GroupName,TenantId),Devices($filter=DisplayType eq 'Local';$select=Name)",
        ),
    ];
    let rows = query(&ds, &ds.agents, &pairs).unwrap();
    assert_eq!(
        rows[0],
        json!({
            "AgentId": 101, "FriendlyName": "ACME-DC01",
            "Group": {"GroupId": 10, "GroupName": "Acme Dental", "TenantId": "3f2c8a4e-1b7d-4c1a-9e55-0a1b2c3d4e5f"},
            "Devices": [{"@odata.type": "#Devices.LocalDevice", "Name": "D:\\Backups"}]
        })
    );
}

/// A short name for the kind of a refusal.
fn kind(e: &ODataError) -> &'static str {
    match e {
        ODataError::UnknownOption(_) => "option",
        ODataError::DuplicateOption(_) => "duplicate",
        ODataError::UnknownProperty { .. } => "property",
        ODataError::Syntax { .. } => "syntax",
        ODataError::NotANumber { .. } => "number",
        ODataError::TypeMismatch(_) => "type",
        ODataError::EncodedDollar(_) => "dollar",
    }
}

#[test]
fn bad_queries_are_refused() {
    let ds = sample();
    let cases = [
        ("$filter", "Nope eq 1", "property"),
        ("$filter", "Agent/Nope eq 1", "property"),
        ("$filter", "Status eq", "syntax"),
        ("$filter", "(Status eq 1", "syntax"),
        ("$filter", "Status eq 1 Status", "syntax"),
        ("$filter", "StartDateTime gt '2026-01-01T00:00:00Z'", "type"),
        ("$filter", "contains(Status, 'x')", "type"),
        ("$filter", "tolower(JobName) eq 'x'", "syntax"),
        ("$filter", "Status", "syntax"),
        ("$format", "json", "option"),
        ("$top", "-1", "number"),
        ("$skip", "x", "number"),
        ("$orderby", "Status sideways", "syntax"),
        ("$select", "Status,Nope", "property"),
        ("$expand", "Group", "property"),
        ("$expand", "Agent($top=1)", "option"),
        ("$count", "yes", "syntax"),
    ];
    for (name, value, want) in cases {
        let got = query(&ds, &ds.job_histories, &[(name, value)]).unwrap_err();
        assert_eq!(kind(&got), want, "{name}={value}: {got}");
    }
    let twice = query(&ds, &ds.job_histories, &[("$top", "1"), ("$top", "2")]);
    assert_eq!(twice.map_err(|e| kind(&e)), Err("duplicate"));
    let entity = QueryOptions::parse([("$filter", "x")], Agent::SCHEMA, Allowed::Entity);
    assert_eq!(entity.map_err(|e| kind(&e)), Err("option"));
}

#[test]
fn every_schema_property_appears_in_the_json() {
    let ds = sample();
    fn check<T: Entity>(item: &T) {
        let json = item.to_json();
        for key in json.keys().filter(|k| !k.starts_with('@')) {
            assert!(
                T::SCHEMA.prop(key).is_some(),
                "{key} missing from {} schema",
                T::TYPE_NAME
            );
        }
    }
    check(&ds.agents[0]);
    check(&ds.agents[0].devices[0]);
    check(&ds.groups[0]);
    check::<JobHistory>(&ds.job_histories[0]);
    check::<Group>(&ds.groups[3]);
    check(&ds.cloud_storage_accounts[0]);
    check(&ds.users[0]);
    assert_eq!(ds.agents[0].to_json().len(), Agent::PROPS.len());
}
