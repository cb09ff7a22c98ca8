//! Pagination streams (`provena_client::pagination`) against loopback
//! servers that generate their pages on the fly, and the table of paginated
//! operations against the vendored documents.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::{StreamExt, TryStreamExt};
use provena_client::Error;
use provena_client::clients::registry::Model;
use provena_client::models;
use provena_client::pagination::{PAGINATED_OPERATIONS, PagedRequest, PaginationKey};
use serde_json::{Value, json};

use common::deployment::MockDeployment;
use common::recorder::{Recorded, Reply};
use common::specs;

// ---------------------------------------------------------------- fixtures

/// The offset a request asks from: its key's `offset`, 0 without a key.
fn offset_of(request: &Recorded) -> usize {
    request
        .json()
        .and_then(|body| {
            body.pointer("/pagination_key/offset")
                .and_then(Value::as_u64)
        })
        .map_or(0, |offset| offset as usize)
}

/// The key a request carried, as JSON (`null` without one).
fn key_of(request: &Recorded) -> Value {
    request
        .json()
        .and_then(|body| body.get("pagination_key").cloned())
        .unwrap_or(Value::Null)
}

fn key(offset: usize) -> Value {
    json!({ "offset": offset })
}

/// One job row, numbered.
fn job(n: usize) -> Value {
    json!({
        "session_id": format!("session-{n:05}"),
        "created_timestamp": 1_700_000_000 + n,
        "username": "someone",
        "payload": {},
        "job_type": "REGISTRY",
        "job_sub_type": "REGISTRY_WAKE_UP",
        "status": "PENDING",
    })
}

/// A registry `ItemModel`, sampled from the document, with id `model-{n}`.
fn model_item(template: &Value, n: usize) -> Value {
    let mut item = template.clone();
    item["id"] = json!(format!("model-{n:05}"));
    item
}

fn model_template() -> Value {
    let document = specs::document("registry");
    specs::sample(
        &document,
        &json!({"$ref": "#/components/schemas/ItemModel"}),
    )
}

/// Serves `total` generated items from `field`, `page_size` a page (read
/// from the request's `size_field`), keyed by offset; a registry-style
/// `status` is added when `with_status`.
fn serve_generated(
    deployment: &MockDeployment,
    service: &str,
    total: usize,
    size_field: &'static str,
    field: &'static str,
    with_status: bool,
    item: impl Fn(usize) -> Value + Send + Sync + 'static,
) {
    deployment.service(service).respond_with(move |request| {
        let size = request
            .json()
            .and_then(|body| body.get(size_field).and_then(Value::as_u64))
            .unwrap_or(10) as usize;
        let start = offset_of(request);
        let end = (start + size).min(total);
        let items: Vec<Value> = (start..end).map(&item).collect();
        let mut body = json!({ field: items });
        if end < total {
            body["pagination_key"] = key(end);
        }
        if with_status {
            body["status"] = json!({"success": true, "details": "ok"});
        }
        Reply::json(200, &body)
    });
}

/// Answers the requests in order with the given `(items, next key)` pages of
/// jobs; anything after them is a 404.
fn serve_job_pages(deployment: &MockDeployment, pages: Vec<(usize, Option<Value>)>) {
    let counter = Arc::new(AtomicUsize::new(0));
    let mut first = 0;
    let bodies: Vec<Value> = pages
        .into_iter()
        .map(|(count, next)| {
            let jobs: Vec<Value> = (first..first + count).map(job).collect();
            first += count;
            let mut body = json!({ "jobs": jobs });
            if let Some(next) = next {
                body["pagination_key"] = next;
            }
            body
        })
        .collect();
    deployment.service("job").respond_with(move |_| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        match bodies.get(n) {
            Some(body) => Reply::json(200, body),
            None => Reply::json(404, &json!({"detail": "no more pages scripted"})),
        }
    });
}

fn jobs_request(limit: i64) -> models::ListJobsRequest {
    models::ListJobsRequest {
        limit,
        pagination_key: None,
    }
}

// ---------------------------------------------------------------- the table

/// The paginated operations of a document: request bodies with a
/// `pagination_key` and the answers carrying one.
fn paginated_in_documents() -> BTreeSet<(String, String, String, String)> {
    let mut found = BTreeSet::new();
    for service in [
        "registry",
        "datastore",
        "job",
        "auth",
        "prov",
        "search",
        "id-service",
    ] {
        let document = specs::document(service);
        let schema_of = |schema: &Value| -> Option<(String, Value)> {
            let name = schema
                .get("$ref")?
                .as_str()?
                .rsplit('/')
                .next()?
                .to_string();
            let body = document["components"]["schemas"][&name].clone();
            Some((name, body))
        };
        for operation in specs::operations(service) {
            let request = operation.request_schema().and_then(schema_of);
            let response = operation
                .response()
                .and_then(|(_, schema)| schema_of(schema));
            let keyed = |schema: &Option<(String, Value)>| {
                schema
                    .as_ref()
                    .is_some_and(|(_, body)| body["properties"].get("pagination_key").is_some())
            };
            if keyed(&request) || keyed(&response) {
                found.insert((
                    service.to_string(),
                    operation.operation_id.clone(),
                    request.map(|(name, _)| name).unwrap_or_default(),
                    response.map(|(name, _)| name).unwrap_or_default(),
                ));
            }
        }
    }
    found
}

#[test]
fn the_table_lists_exactly_the_paginated_operations_of_the_documents() {
    let table: BTreeSet<_> = PAGINATED_OPERATIONS
        .iter()
        .map(|row| {
            (
                row.service.to_string(),
                row.operation_id.to_string(),
                row.request.to_string(),
                row.response.to_string(),
            )
        })
        .collect();
    let documents = paginated_in_documents();
    let missing: Vec<_> = documents.difference(&table).collect();
    let extra: Vec<_> = table.difference(&documents).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "paginated operations missing from src/pagination.rs: {missing:?}; \
         rows the documents do not page: {extra:?}"
    );
}

#[test]
fn every_items_field_of_the_table_is_an_array_of_its_response() {
    for row in PAGINATED_OPERATIONS {
        let document = specs::document(row.service);
        let field = &document["components"]["schemas"][row.response]["properties"][row.items_field];
        assert_eq!(
            field["type"], "array",
            "{}.{}: {}.{} is not an array: {field}",
            row.service, row.operation_id, row.response, row.items_field
        );
    }
}

// ---------------------------------------------------------------- streams

#[tokio::test]
async fn ten_thousand_registry_items_stream_in_order_over_many_pages() {
    const TOTAL: usize = 10_007;
    const PAGE: i64 = 250;
    let deployment = MockDeployment::start().await;
    let template = model_template();
    serve_generated(
        &deployment,
        "registry",
        TOTAL,
        "page_size",
        "items",
        true,
        move |n| model_item(&template, n),
    );
    let request = models::SubtypeListRequest {
        page_size: PAGE,
        ..Default::default()
    };

    let mut items = deployment
        .client()
        .registry()
        .list_items_paginated::<Model>(&request)
        .items();
    let mut count = 0;
    while let Some(item) = items.try_next().await.expect("every page decodes") {
        assert_eq!(
            item.id,
            format!("model-{count:05}"),
            "items in server order"
        );
        count += 1;
    }

    assert_eq!(count, TOTAL);
    let requests = deployment.service("registry").requests();
    let pages = TOTAL.div_ceil(PAGE as usize);
    assert_eq!(requests.len(), pages, "one request a page");
    for (n, request) in requests.iter().enumerate() {
        assert_eq!(request.path, "/registry/entity/model/list");
        let expected = if n == 0 {
            Value::Null
        } else {
            key(n * PAGE as usize)
        };
        assert_eq!(
            key_of(request),
            expected,
            "request {n} follows the previous page's key"
        );
    }
}

#[tokio::test]
async fn ten_thousand_jobs_stream_as_pages_holding_every_job_once() {
    const TOTAL: usize = 12_345;
    let deployment = MockDeployment::start().await;
    serve_generated(&deployment, "job", TOTAL, "limit", "jobs", false, job);

    let mut pages = deployment
        .client()
        .job_api()
        .list_jobs_paginated(&jobs_request(100))
        .pages();
    let mut seen = BTreeSet::new();
    let mut page_count = 0;
    while let Some(page) = pages.try_next().await.expect("every page decodes") {
        page_count += 1;
        assert!(page.jobs.len() <= 100);
        for job in page.jobs {
            assert!(seen.insert(job.session_id), "a job listed twice");
        }
    }

    assert_eq!(seen.len(), TOTAL);
    assert_eq!(page_count, TOTAL.div_ceil(100));
    assert_eq!(deployment.service("job").hits(), page_count);
}

#[tokio::test]
async fn an_empty_page_that_carries_a_key_is_not_the_end() {
    let deployment = MockDeployment::start().await;
    serve_job_pages(
        &deployment,
        vec![
            (2, Some(json!({"at": "a"}))),
            (0, Some(json!({"at": "b"}))),
            (1, None),
        ],
    );

    let jobs: Vec<_> = deployment
        .client()
        .job_api()
        .list_jobs_paginated(&jobs_request(2))
        .items()
        .try_collect()
        .await
        .expect("three pages");

    assert_eq!(jobs.len(), 3);
    let keys: Vec<Value> = deployment
        .service("job")
        .requests()
        .iter()
        .map(key_of)
        .collect();
    assert_eq!(
        keys,
        vec![Value::Null, json!({"at": "a"}), json!({"at": "b"})]
    );
}

#[tokio::test]
async fn a_repeated_key_ends_the_stream_with_an_error_instead_of_looping() {
    let deployment = MockDeployment::start().await;
    // a → b → a: a cycle of two pages, each of them with items.
    serve_job_pages(
        &deployment,
        vec![
            (1, Some(json!({"at": "a"}))),
            (1, Some(json!({"at": "b"}))),
            (1, Some(json!({"at": "a"}))),
            (1, Some(json!({"at": "b"}))),
        ],
    );

    let results: Vec<_> = deployment
        .client()
        .job_api()
        .list_jobs_paginated(&jobs_request(1))
        .items()
        .collect()
        .await;

    assert_eq!(
        results.len(),
        4,
        "three items, then the error, then the end"
    );
    assert!(results[..3].iter().all(Result::is_ok));
    match &results[3] {
        Err(Error::RepeatedPaginationKey { operation, page }) => {
            assert_eq!(operation.to_string(), "job.list_jobs");
            assert_eq!(*page, 3, "the third page handed out `a` again");
        }
        other => panic!("expected a repeated-key error, got {other:?}"),
    }
    assert_eq!(
        deployment.service("job").hits(),
        3,
        "the repeated key is never sent"
    );
}

#[tokio::test]
async fn a_page_handing_back_the_callers_own_starting_key_is_a_repeat() {
    let deployment = MockDeployment::start().await;
    serve_job_pages(&deployment, vec![(1, Some(json!({"at": "start"})))]);
    let mut start: PaginationKey = serde_json::Map::new();
    start.insert("at".into(), json!("start"));
    let request = jobs_request(1).with_pagination_key(Some(start));

    let results: Vec<_> = deployment
        .client()
        .job_api()
        .list_jobs_paginated(&request)
        .items()
        .collect()
        .await;

    assert!(results[0].is_ok());
    assert!(matches!(
        results[1],
        Err(Error::RepeatedPaginationKey { page: 1, .. })
    ));
    assert_eq!(
        key_of(&deployment.service("job").requests()[0]),
        json!({"at": "start"})
    );
}

#[tokio::test]
async fn a_limit_stops_fetching_once_enough_items_arrived() {
    let deployment = MockDeployment::start().await;
    serve_generated(&deployment, "job", 10_000, "limit", "jobs", false, job);

    let jobs: Vec<_> = deployment
        .client()
        .job_api()
        .list_jobs_paginated(&jobs_request(100))
        .limit(250)
        .items()
        .try_collect()
        .await
        .expect("pages");

    assert_eq!(jobs.len(), 250);
    assert_eq!(jobs[249].session_id, "session-00249");
    assert_eq!(
        deployment.service("job").hits(),
        3,
        "pages 1-3 hold 300 items"
    );
}

#[tokio::test]
async fn taking_from_the_stream_stops_fetching_too() {
    let deployment = MockDeployment::start().await;
    serve_generated(&deployment, "job", 10_000, "limit", "jobs", false, job);

    let jobs: Vec<_> = deployment
        .client()
        .job_api()
        .list_jobs_paginated(&jobs_request(100))
        .items()
        .take(100)
        .try_collect()
        .await
        .expect("one page");

    assert_eq!(jobs.len(), 100);
    assert_eq!(deployment.service("job").hits(), 1);
}

#[tokio::test]
async fn a_limited_pages_stream_ends_with_the_page_that_reaches_the_limit() {
    let deployment = MockDeployment::start().await;
    serve_generated(&deployment, "job", 10_000, "limit", "jobs", false, job);

    let pages: Vec<_> = deployment
        .client()
        .job_api()
        .list_jobs_paginated(&jobs_request(100))
        .limit(150)
        .pages()
        .try_collect()
        .await
        .expect("pages");

    assert_eq!(pages.len(), 2);
    assert_eq!(deployment.service("job").hits(), 2);
}

#[tokio::test]
async fn the_callers_request_is_left_alone_and_every_page_keeps_its_other_fields() {
    let deployment = MockDeployment::start().await;
    serve_generated(&deployment, "job", 30, "limit", "jobs", false, job);
    let request = models::AdminListJobsRequest {
        limit: 7,
        pagination_key: None,
        username_filter: Some("alice".into()),
    };
    let before = request.clone();

    let paginator = deployment
        .client()
        .job_api()
        .admin()
        .list_jobs_paginated(&request);
    let jobs: Vec<_> = paginator.items().try_collect().await.expect("pages");

    assert_eq!(jobs.len(), 30);
    assert_eq!(request, before);
    let requests = deployment.service("job").requests();
    assert_eq!(requests.len(), 5);
    for request in &requests {
        let body = request.json().expect("JSON body");
        assert_eq!(body["limit"], 7);
        assert_eq!(body["username_filter"], "alice");
    }
}

#[tokio::test]
async fn an_error_on_a_later_page_is_yielded_after_the_earlier_items_and_ends_the_stream() {
    let deployment = MockDeployment::start().await;
    serve_job_pages(&deployment, vec![(2, Some(json!({"at": "a"})))]);

    let results: Vec<_> = deployment
        .client()
        .job_api()
        .list_jobs_paginated(&jobs_request(2))
        .items()
        .collect()
        .await;

    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[1].is_ok());
    let error = results[2].as_ref().expect_err("the second page fails");
    assert_eq!(error.status(), Some(404));
}

/// Each facade method's paginator asks its own operation's route, and
/// follows the key there.
#[tokio::test]
async fn every_paginated_facade_method_pages_through_its_own_route() {
    let deployment = MockDeployment::start().await;
    let client = deployment.client();
    let document = specs::document("registry");
    let dataset = specs::sample(
        &document,
        &json!({"$ref": "#/components/schemas/ItemDataset"}),
    );
    let dataset_for_registry = dataset.clone();
    serve_generated(&deployment, "job", 5, "limit", "jobs", false, job);
    serve_generated(
        &deployment,
        "datastore",
        5,
        "page_size",
        "items",
        true,
        move |_| dataset.clone(),
    );
    deployment.service("registry").respond_with(move |request| {
        let start = offset_of(request);
        let field = if request.path.ends_with("/releases") {
            "dataset_items"
        } else {
            "items"
        };
        let item = if request.path.ends_with("/releases") {
            dataset_for_registry.clone()
        } else {
            json!({"id": format!("any-{start}")})
        };
        let mut body = json!({ field: [item], "status": {"success": true, "details": "ok"} });
        if start < 2 {
            body["pagination_key"] = key(start + 1);
        }
        Reply::json(200, &body)
    });

    let job_api = client.job_api();
    let count =
        |n: usize, what: &str| assert_eq!(n, if what.starts_with("job") { 5 } else { 3 }, "{what}");
    let batch = models::ListByBatchRequest {
        batch_id: "b".into(),
        limit: 2,
        pagination_key: None,
    };
    let admin_batch = models::AdminListByBatchRequest {
        batch_id: "b".into(),
        limit: 2,
        pagination_key: None,
        username_filter: None,
    };
    count(
        job_api
            .list_jobs_paginated(&jobs_request(2))
            .items()
            .try_collect::<Vec<_>>()
            .await
            .expect("list_jobs")
            .len(),
        "job list_jobs",
    );
    count(
        job_api
            .list_jobs_in_batch_paginated(&batch)
            .items()
            .try_collect::<Vec<_>>()
            .await
            .expect("list_batch")
            .len(),
        "job list_batch",
    );
    count(
        job_api
            .admin()
            .list_jobs_paginated(&models::AdminListJobsRequest {
                limit: 2,
                ..Default::default()
            })
            .items()
            .try_collect::<Vec<_>>()
            .await
            .expect("admin_list_jobs")
            .len(),
        "job admin_list_jobs",
    );
    count(
        job_api
            .admin()
            .list_jobs_in_batch_paginated(&admin_batch)
            .items()
            .try_collect::<Vec<_>>()
            .await
            .expect("admin_list_batch")
            .len(),
        "job admin_list_batch",
    );
    let datasets = client
        .datastore()
        .list_datasets_paginated(&models::NoFilterSubtypeListRequest {
            page_size: 2,
            ..Default::default()
        })
        .items()
        .try_collect::<Vec<_>>()
        .await
        .expect("datastore list");
    assert_eq!(datasets.len(), 5);
    count(
        client
            .registry()
            .general()
            .list_general_registry_items_paginated(&Default::default())
            .items()
            .try_collect::<Vec<_>>()
            .await
            .expect("general list")
            .len(),
        "registry list",
    );
    let releasing: models::ListUserReviewingDatasetsRequest =
        serde_json::from_value(json!({"filter_by": {}})).expect("request");
    count(
        client
            .registry()
            .list_releasing_datasets_paginated(&releasing)
            .items()
            .try_collect::<Vec<_>>()
            .await
            .expect("releases")
            .len(),
        "registry list_releasing_datasets",
    );

    let paths = |service: &str| -> BTreeSet<String> {
        deployment
            .service(service)
            .requests()
            .into_iter()
            .map(|r| r.path)
            .collect()
    };
    assert_eq!(
        paths("job"),
        [
            "/jobs/user/list",
            "/jobs/user/list_batch",
            "/jobs/admin/list",
            "/jobs/admin/list_batch"
        ]
        .into_iter()
        .map(String::from)
        .collect()
    );
    assert_eq!(
        paths("datastore"),
        BTreeSet::from(["/registry/items/list".to_string()])
    );
    assert_eq!(
        paths("registry"),
        BTreeSet::from([
            "/registry/general/list".to_string(),
            "/registry/entity/dataset/user/releases".to_string()
        ])
    );
    assert_eq!(
        deployment.service("job").hits(),
        4 * 3,
        "three pages of two for each job list"
    );
}

#[tokio::test]
async fn a_paginator_names_its_operation_and_first_request_and_each_clone_streams_from_the_start() {
    let deployment = MockDeployment::start().await;
    serve_generated(&deployment, "job", 5, "limit", "jobs", false, job);
    let request = jobs_request(2);

    let paginator = deployment.client().job_api().list_jobs_paginated(&request);
    let copy = paginator.clone();

    assert_eq!(paginator.operation().to_string(), "job.list_jobs");
    assert_eq!(paginator.request(), &request);
    let shown = format!("{paginator:?}");
    assert!(
        shown.contains("list_jobs") && shown.contains("limit: 2"),
        "{shown}"
    );
    let first: Vec<_> = paginator.items().try_collect().await.expect("pages");
    let second: Vec<_> = copy.items().try_collect().await.expect("pages");
    assert_eq!(first.len(), 5);
    assert_eq!(first, second, "a clone starts from the first page too");
    assert_eq!(deployment.service("job").hits(), 6);
}

#[tokio::test]
async fn a_limited_stream_of_registry_pages_counts_their_optional_items() {
    let deployment = MockDeployment::start().await;
    let template = model_template();
    serve_generated(
        &deployment,
        "registry",
        1_000,
        "page_size",
        "items",
        true,
        move |n| model_item(&template, n),
    );
    let request = models::SubtypeListRequest {
        page_size: 100,
        ..Default::default()
    };

    let pages: Vec<_> = deployment
        .client()
        .registry()
        .list_items_paginated::<Model>(&request)
        .limit(150)
        .pages()
        .try_collect()
        .await
        .expect("pages");

    assert_eq!(pages.len(), 2, "the second page reaches 150 items");
    assert_eq!(deployment.service("registry").hits(), 2);
}
