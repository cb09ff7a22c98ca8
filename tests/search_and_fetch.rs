//! `client.search_and_fetch::<S>(query)`: a search answered on loopback,
//! then the hits fetched from a loopback registry, sorted into loaded,
//! forbidden and failed, with a bound on concurrent fetches.
//! (Against the real registry: `tests/real/search.rs`.)

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use provena_client::auth::StaticToken;
use provena_client::clients::registry::Organisation;
use provena_client::mock::MockProvena;
use provena_client::search_and_fetch::LoadError;
use provena_client::{Config, Error, ProvenaClient};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Notify;

const FETCH_ORGANISATION: &str = "/registry/agent/organisation/fetch";

fn organisation_answer(id: &str) -> Value {
    json!({
        "status": {"success": true, "details": "Successfully retrieved complete item."},
        "item": {
            "id": id, "owner_username": "alice", "display_name": format!("Org {id}"),
            "name": format!("Org {id}"), "created_timestamp": 1_700_000_000,
            "updated_timestamp": 1_700_000_000, "record_type": "COMPLETE_ITEM", "history": [],
            "item_category": "AGENT", "item_subtype": "ORGANISATION"
        },
        "roles": ["metadata-read"], "locked": false, "item_is_seed": false
    })
}

fn search_answer(ids: &[&str]) -> Value {
    let results: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(rank, id)| json!({"id": id, "score": 10.0 - rank as f64}))
        .collect();
    json!({"status": {"success": true, "details": "ok"}, "results": results})
}

#[tokio::test]
async fn hits_are_sorted_into_loaded_forbidden_and_failed_in_search_order() {
    let mock = MockProvena::start().await;
    let server = mock.server();
    let search = server.mock(|when, then| {
        when.method("GET")
            .path("/search/entity-registry")
            .query_param("query", "rivers")
            .query_param("subtype_filter", "ORGANISATION")
            .query_param("record_limit", "5");
        then.status(200).json_body(search_answer(&[
            "10378.1/1",
            "10378.1/401",
            "10378.1/gone",
            "10378.1/403",
            "10378.1/2",
        ]));
    });
    for id in ["10378.1/1", "10378.1/2"] {
        server.mock(|when, then| {
            when.path(FETCH_ORGANISATION).query_param("id", id);
            then.status(200).json_body(organisation_answer(id));
        });
    }
    server.mock(|when, then| {
        when.path(FETCH_ORGANISATION)
            .query_param("id", "10378.1/401");
        then.status(401)
            .json_body(json!({"detail": "You are not authorised to fetch this item."}));
    });
    server.mock(|when, then| {
        when.path(FETCH_ORGANISATION)
            .query_param("id", "10378.1/403");
        then.status(403).json_body(json!({"detail": "Forbidden."}));
    });
    server.mock(|when, then| {
        when.path(FETCH_ORGANISATION)
            .query_param("id", "10378.1/gone");
        then.status(200).json_body(json!({"status": {
            "success": false,
            "details": "Could not find the given key (10378.1/gone) in the registry. Details 'x'."
        }}));
    });

    let found = mock
        .client()
        .search_and_fetch::<Organisation>("rivers")
        .limit(5)
        .send()
        .await
        .expect("the search succeeds");

    search.assert();
    assert_eq!(found.hit_count(), 5);
    let loaded: Vec<(&str, f64, &str)> = found
        .loaded
        .iter()
        .map(|hit| (hit.id.as_str(), hit.score, hit.item.name.as_str()))
        .collect();
    assert_eq!(
        loaded,
        [
            ("10378.1/1", 10.0, "Org 10378.1/1"),
            ("10378.1/2", 6.0, "Org 10378.1/2")
        ]
    );
    assert_eq!(found.loaded[0].roles, ["metadata-read"]);
    assert_eq!(found.loaded[0].locked, Some(false));
    let forbidden: Vec<(&str, Option<u16>)> = found
        .forbidden
        .iter()
        .map(|f| (f.hit.id.as_str(), f.error_status()))
        .collect();
    assert_eq!(
        forbidden,
        [("10378.1/401", Some(401)), ("10378.1/403", Some(403))]
    );
    assert_eq!(found.failed.len(), 1);
    assert_eq!(found.failed[0].hit.id.as_str(), "10378.1/gone");
    assert_eq!(found.failed[0].hit.score, 8.0);
    assert!(
        matches!(&found.failed[0].error, LoadError::Fetch(e) if e.is_not_found()),
        "{}",
        found.failed[0].error
    );
}

/// The status of a failed hit's fetch, if it had one.
trait ErrorStatus {
    fn error_status(&self) -> Option<u16>;
}

impl ErrorStatus for provena_client::search_and_fetch::FailedHit {
    fn error_status(&self) -> Option<u16> {
        match &self.error {
            LoadError::Fetch(error) => error.status(),
            _ => None,
        }
    }
}

#[tokio::test]
async fn a_server_error_on_a_fetch_is_a_failed_hit_not_a_forbidden_one() {
    let mock = MockProvena::start().await;
    let server = mock.server();
    server.mock(|when, then| {
        when.path("/search/entity-registry");
        then.status(200).json_body(search_answer(&["10378.1/boom"]));
    });
    server.mock(|when, then| {
        when.path(FETCH_ORGANISATION);
        then.status(500).body("internal error");
    });

    let found = mock
        .client()
        .search_and_fetch::<Organisation>("x")
        .send()
        .await
        .unwrap();

    assert!(found.loaded.is_empty() && found.forbidden.is_empty());
    assert_eq!(found.failed.len(), 1);
    assert_eq!(found.failed[0].error_status(), Some(500));
    assert!(!found.failed[0].error.is_forbidden());
}

#[tokio::test]
async fn a_seed_without_content_is_a_failed_hit_naming_the_id() {
    let mock = MockProvena::start().await;
    let server = mock.server();
    server.mock(|when, then| {
        when.path("/search/entity-registry");
        then.status(200).json_body(search_answer(&["10378.1/seed"]));
    });
    server.mock(|when, then| {
        when.path(FETCH_ORGANISATION);
        then.status(200).json_body(json!({
            "status": {"success": true, "details": "ok"}, "item_is_seed": true,
            "item": {"id": "10378.1/seed", "owner_username": "alice", "created_timestamp": 1,
                     "updated_timestamp": 1, "record_type": "SEED_ITEM",
                     "item_category": "AGENT", "item_subtype": "ORGANISATION"}
        }));
    });

    let found = mock
        .client()
        .search_and_fetch::<Organisation>("x")
        .send()
        .await
        .unwrap();

    assert_eq!(found.failed.len(), 1);
    let error = &found.failed[0].error;
    assert!(
        matches!(error, LoadError::NoItem { id } if id == "10378.1/seed"),
        "{error}"
    );
}

#[tokio::test]
async fn a_failed_search_is_the_calls_error_and_nothing_is_fetched() {
    let mock = MockProvena::start().await;
    let server = mock.server();
    server.mock(|when, then| {
        when.path("/search/entity-registry");
        then.status(500).body("search is down");
    });
    let fetch = server.mock(|when, then| {
        when.path_includes("/fetch");
        then.status(200);
    });

    let error = mock
        .client()
        .search_and_fetch::<Organisation>("x")
        .send()
        .await
        .unwrap_err();

    assert_eq!(error.status(), Some(500), "{error}");
    fetch.assert_calls(0);
}

#[tokio::test]
async fn search_datasets_asks_for_datasets_and_loads_them_as_datasets() {
    let mock = MockProvena::start().await;
    let server = mock.server();
    let search = server.mock(|when, then| {
        when.path("/search/entity-registry")
            .query_param("subtype_filter", "DATASET")
            .query_param("record_limit", "25");
        then.status(200).json_body(search_answer(&[]));
    });

    let found = mock
        .client()
        .search_datasets("rain", Some(25))
        .await
        .unwrap();

    search.assert();
    assert_eq!(found.hit_count(), 0);
}

// ---- bounded concurrency ----

/// Counts registry fetches in flight. Each fetch is held until `gate` are
/// in flight at once (or every remaining hit is): a client that fetched one
/// at a time would never be answered. When the gate is reached, the server
/// waits a short grace before answering, so that a client about to send one
/// fetch too many has sent it (a correct client passes whatever the grace;
/// it only gives a wrong one the chance to show itself).
struct Gate {
    state: Mutex<GateState>,
    changed: Notify,
    gate: usize,
    total: usize,
}

#[derive(Default)]
struct GateState {
    in_flight: usize,
    max_in_flight: usize,
    served: usize,
    opened: bool,
}

const GRACE: Duration = Duration::from_millis(200);

impl Gate {
    async fn fetch(&self, id: String) -> Value {
        let reached = {
            let mut state = self.state.lock().unwrap();
            state.in_flight += 1;
            state.max_in_flight = state.max_in_flight.max(state.in_flight);
            !state.opened && state.in_flight == self.gate
        };
        if reached {
            tokio::time::sleep(GRACE).await;
            self.state.lock().unwrap().opened = true;
            self.changed.notify_waiters();
        }
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let state = self.state.lock().unwrap();
                if state.opened || state.served + state.in_flight >= self.total {
                    break;
                }
            }
            changed.await;
        }
        {
            let mut state = self.state.lock().unwrap();
            state.in_flight -= 1;
            state.served += 1;
        }
        self.changed.notify_waiters();
        organisation_answer(&id)
    }
}

async fn gated_deployment(ids: Vec<String>, gate: usize) -> (Arc<Gate>, ProvenaClient) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = Arc::new(Gate {
        state: Mutex::new(GateState::default()),
        changed: Notify::new(),
        gate,
        total: ids.len(),
    });
    let search = search_answer(&ids.iter().map(String::as_str).collect::<Vec<_>>());
    let shared = Arc::clone(&state);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let gate = Arc::clone(&shared);
            let search = search.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                    let gate = Arc::clone(&gate);
                    let search = search.clone();
                    async move {
                        let body = if request.uri().path() == FETCH_ORGANISATION {
                            let id = request
                                .uri()
                                .query()
                                .and_then(|q| {
                                    url::form_urlencoded::parse(q.as_bytes())
                                        .find(|(k, _)| k == "id")
                                        .map(|(_, v)| v.into_owned())
                                })
                                .unwrap_or_default();
                            gate.fetch(id).await
                        } else {
                            search
                        };
                        Ok::<_, Infallible>(
                            Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from(body.to_string())))
                                .unwrap(),
                        )
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    // Services this test does not use get addresses that never resolve.
    let config = Config::builder()
        .domain("not-used.invalid")
        .realm("test")
        .endpoint("search", &url)
        .endpoint("registry", &url)
        .build()
        .unwrap();
    let client = ProvenaClient::new(config, StaticToken::shared("token")).unwrap();
    (state, client)
}

#[tokio::test]
async fn fetches_run_concurrently_up_to_the_bound_and_never_beyond() {
    let ids: Vec<String> = (0..12).map(|n| format!("10378.1/{n}")).collect();
    let (gate, client) = gated_deployment(ids.clone(), 3).await;

    let request = client
        .search_and_fetch::<Organisation>("x")
        .concurrency(3)
        .send();
    // Not a timing assertion: a guard so a client that never reaches three
    // fetches at once fails instead of hanging.
    let found = tokio::time::timeout(Duration::from_secs(60), request)
        .await
        .expect("three fetches were in flight at once")
        .unwrap();

    assert_eq!(gate.state.lock().unwrap().max_in_flight, 3);
    let loaded: Vec<String> = found.loaded.iter().map(|l| l.id.to_string()).collect();
    assert_eq!(loaded, ids, "every hit, in the search's order");
}

#[tokio::test]
async fn a_concurrency_of_one_fetches_one_at_a_time() {
    let ids: Vec<String> = (0..4).map(|n| format!("10378.1/{n}")).collect();
    let (gate, client) = gated_deployment(ids, 1).await;

    let found = client
        .search_and_fetch::<Organisation>("x")
        .concurrency(0)
        .send()
        .await
        .unwrap();

    assert_eq!(gate.state.lock().unwrap().max_in_flight, 1);
    assert_eq!(found.loaded.len(), 4);
}

#[tokio::test]
async fn a_search_and_fetch_can_run_on_a_spawned_task() {
    let mock = MockProvena::start().await;
    mock.server().mock(|when, then| {
        when.path("/search/entity-registry");
        then.status(200).json_body(search_answer(&[]));
    });
    let client = mock.client();

    // Compiles only if the future of `send()` is `Send + 'static` here.
    let task = tokio::spawn(async move {
        client
            .search_and_fetch::<Organisation>("x")
            .send()
            .await
            .map(|found| found.hit_count())
    });

    assert_eq!(task.await.unwrap().unwrap(), 0);
}

#[test]
fn errors_of_a_hit_say_whether_it_is_forbidden() {
    let operation = provena_client::OperationName {
        service: "registry",
        operation_id: "fetch_agent_organisation",
    };
    let forbidden = LoadError::Fetch(Error::Unauthorized {
        operation,
        detail: "You are not authorised to fetch this item.".into(),
    });
    let missing = LoadError::NoItem {
        id: "10378.1/1".into(),
    };

    assert!(forbidden.is_forbidden());
    assert!(!missing.is_forbidden());
    assert!(missing.to_string().contains("10378.1/1"));
}
