//! The auth managers plugged into a whole client: the services receive the
//! tokens Keycloak issues.

mod common;

use common::deployment::MockDeployment;
use common::keycloak::{CLIENT_ID, Keycloak};
use common::recorder::Reply;
use provena_client::{Error, ProvenaClient};
use serde_json::json;

#[tokio::test]
async fn an_offline_token_client_sends_the_access_token_keycloak_issued() {
    let keycloak = Keycloak::start().await;
    let deployment = MockDeployment::start().await;
    deployment
        .service("search")
        .push(Reply::json(200, &json!({"message": "ok"})));
    let config = deployment
        .config_builder()
        .keycloak_realm_url(keycloak.realm_url().as_str())
        .client_id(CLIENT_ID)
        .build()
        .unwrap();
    let client = ProvenaClient::with_offline_token(config, keycloak.issue_offline_token()).unwrap();

    client
        .search()
        .get_health_check()
        .await
        .expect("authorised call");

    let sent = deployment.service("search").requests()[0]
        .header("authorization")
        .map(str::to_string);
    let issued = keycloak
        .last_access_token()
        .expect("Keycloak issued a token");
    assert_eq!(sent, Some(format!("Bearer {issued}")));
    assert_eq!(keycloak.token_request_count(), 1);
}

#[tokio::test]
async fn a_rejected_offline_token_fails_the_call_with_an_auth_error_before_sending() {
    let keycloak = Keycloak::start().await;
    let deployment = MockDeployment::start().await;
    let config = deployment
        .config_builder()
        .keycloak_realm_url(keycloak.realm_url().as_str())
        .client_id(CLIENT_ID)
        .build()
        .unwrap();
    let client = ProvenaClient::with_offline_token(config, "not-a-token-keycloak-knows").unwrap();

    let error = client.job_api().get_health_check().await.unwrap_err();

    assert!(matches!(error, Error::Auth { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("job.root: authentication failed"),
        "{error}"
    );
    assert_eq!(
        deployment.service("job").hits(),
        0,
        "nothing is sent without a token"
    );
}

#[test]
fn an_offline_token_client_needs_a_realm_and_client_id() {
    let config = provena_client::Config::builder().endpoint("auth", "http://127.0.0.1:9");
    let config = provena_client::services::SERVICES
        .iter()
        .fold(config, |builder, service| {
            builder.endpoint(service.name, "http://127.0.0.1:9")
        })
        .build()
        .unwrap();
    let error = ProvenaClient::with_offline_token(config, "token").unwrap_err();
    assert!(error.to_string().contains("no Keycloak realm"), "{error}");
}
