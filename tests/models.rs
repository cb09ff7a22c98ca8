//! The shared model types: one type per model across services, builders,
//! and no secret in any model's `Debug`.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::deployment::MockDeployment;
use common::recorder::Reply;
use provena_client::models::{self, REDACTED, SECRET_FIELDS, builder};
use serde_json::{Value, json};

/// Property names that look like secrets but are not, each with the reason.
/// A new name that looks like a secret fails
/// `every_secret_looking_field_is_redacted_or_explained` until it is added
/// here or to `SECRET_FIELDS`.
const NOT_SECRET: &[(&str, &str)] = &[
    ("pagination_key", "a position in a listing, sent back as is"),
    ("not_authorised_count", "how many items were hidden"),
    (
        "register_create_activity_session_id",
        "a job id, useless without the caller's token",
    ),
    (
        "version_job_session_id",
        "a job id, useless without the caller's token",
    ),
    ("session_id", "a job id, useless without the caller's token"),
    (
        "credentials",
        "holds the secret fields, redacted in its own type",
    ),
    (
        "console_session_required",
        "a flag asking for a console link",
    ),
    (
        "auth_payload",
        "an item's access settings (groups and roles), no credential",
    ),
    (
        "auth_table_name",
        "the name of a table in the deployment's config",
    ),
    ("key", "an object key in a deferred resource"),
    ("keywords", "a dataset's search keywords"),
];

fn looks_secret(name: &str) -> bool {
    [
        "token",
        "secret",
        "password",
        "credential",
        "key",
        "session",
        "auth",
    ]
    .iter()
    .any(|word| name.to_lowercase().contains(word))
}

/// Every (schema, property) pair of every document.
fn properties() -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for service in provena_client::services::SERVICES {
        let document = common::specs::document(service.name);
        for (name, schema) in document["components"]["schemas"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let props = schema["properties"].as_object().into_iter().flatten();
            out.entry(name.clone())
                .or_default()
                .extend(props.map(|(p, _)| p.clone()));
        }
    }
    out
}

#[test]
fn every_secret_looking_field_is_redacted_or_explained() {
    let mut unexplained = BTreeSet::new();
    for (schema, props) in properties() {
        for prop in props {
            let explained = SECRET_FIELDS.contains(&prop.as_str())
                || NOT_SECRET.iter().any(|(name, _)| *name == prop);
            if looks_secret(&prop) && !explained {
                unexplained.insert(format!("{schema}.{prop}"));
            }
        }
    }
    assert!(
        unexplained.is_empty(),
        "fields that look secret, in neither SECRET_FIELDS nor NOT_SECRET: {unexplained:?}"
    );
}

#[test]
fn every_model_with_a_secret_field_and_its_builder_redact_exactly_those_fields() {
    let mut expected = BTreeSet::new();
    for (schema, props) in properties() {
        let secret: Vec<String> = props
            .into_iter()
            .filter(|p| SECRET_FIELDS.contains(&p.as_str()))
            .collect();
        if !secret.is_empty() {
            expected.insert((schema.clone(), secret.clone()));
            expected.insert((format!("builder::{schema}"), secret));
        }
    }
    let actual: BTreeSet<(String, Vec<String>)> = REDACTED
        .iter()
        .map(|(name, fields)| {
            (
                name.to_string(),
                fields.iter().map(|f| f.to_string()).collect(),
            )
        })
        .collect();
    assert_eq!(actual, expected);
    // The documents do have such fields today: the check above is not vacuous.
    for name in ["User", "Credentials", "CredentialResponse"] {
        assert!(actual.iter().any(|(n, _)| n == name), "{name}");
    }
}

const MARKER: &str = "SECRET-MARKER-7f3a";

/// A sample of `schema` (from the datastore document, which has all three
/// redacted types) with every secret field set to [`MARKER`], at any depth.
fn sample_with_secrets(schema: &str) -> Value {
    fn plant(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (key, field) in map.iter_mut() {
                    if SECRET_FIELDS.contains(&key.as_str()) {
                        *field = json!(MARKER);
                    } else {
                        plant(field);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(plant),
            _ => {}
        }
    }
    let document = common::specs::document("datastore");
    let mut value = common::specs::sample(
        &document,
        &json!({"$ref": format!("#/components/schemas/{schema}")}),
    );
    plant(&mut value);
    value
}

/// Decodes the sample into `T`, and checks that neither `T` nor its builder
/// shows the secret in `Debug` (plain or pretty), while both still show the
/// other fields and the redaction mark.
fn assert_redacted<T, B>(schema: &str, plain_field: &str)
where
    T: serde::de::DeserializeOwned + std::fmt::Debug + Clone + Into<B>,
    B: std::fmt::Debug,
{
    let value: T = serde_json::from_value(sample_with_secrets(schema))
        .unwrap_or_else(|e| panic!("{schema}: {e}"));
    let built: B = value.clone().into();
    for shown in [
        format!("{value:?}"),
        format!("{value:#?}"),
        format!("{built:?}"),
        format!("{built:#?}"),
    ] {
        assert!(!shown.contains(MARKER), "{schema} leaks: {shown}");
        assert!(shown.contains("<redacted>"), "{schema}: {shown}");
        assert!(shown.contains(plain_field), "{schema}: {shown}");
    }
}

#[test]
fn a_user_shows_its_name_but_not_its_access_token() {
    assert_redacted::<models::User, builder::User>("User", "username");
}

#[test]
fn temporary_aws_credentials_show_their_expiry_but_no_key() {
    assert_redacted::<models::Credentials, builder::Credentials>("Credentials", "expiry");
}

#[test]
fn a_credential_response_hides_the_console_link_and_the_nested_keys() {
    assert_redacted::<models::CredentialResponse, builder::CredentialResponse>(
        "CredentialResponse",
        "status",
    );
}

#[test]
fn the_redacting_debug_tests_above_cover_every_redacted_type() {
    let covered = ["User", "Credentials", "CredentialResponse"];
    let redacted: BTreeSet<&str> = REDACTED
        .iter()
        .map(|(name, _)| name.trim_start_matches("builder::"))
        .collect();
    assert_eq!(redacted, covered.into_iter().collect::<BTreeSet<_>>());
}

#[test]
fn a_builder_with_the_required_fields_builds_and_leaves_the_optional_ones_empty() {
    let status: models::Status = models::Status::builder()
        .success(true)
        .details("fine")
        .try_into()
        .expect("every required field is set");
    assert!(status.success);
    assert_eq!(status.details, "fine");

    let info: models::OrganisationDomainInfo = models::OrganisationDomainInfo::builder()
        .display_name("CSIRO")
        .name("CSIRO")
        .try_into()
        .expect("display_name and name are all an organisation needs");
    assert_eq!(info.ror, None);
    assert!(info.extra.is_empty(), "no unknown fields unless given");
}

#[test]
fn a_builder_missing_a_required_field_is_an_error_naming_it() {
    let result: Result<models::Status, _> = models::Status::builder().success(true).try_into();
    let message = result.expect_err("details is required").to_string();
    assert!(message.contains("details"), "{message}");
    let error = provena_client::Error::from(
        models::Status::builder()
            .try_into()
            .map(|_: models::Status| ())
            .expect_err("nothing is set"),
    );
    // Fields are checked in name order: `details` comes first.
    assert!(
        matches!(&error, provena_client::Error::Builder { message } if message.contains("details")),
        "{error:?}"
    );
}

#[test]
fn a_builder_serialises_to_the_json_the_server_expects() {
    let record: models::ModelRunRecord = models::ModelRunRecord::builder()
        .workflow_template_id("10378.1/3")
        .model_version("1.2".to_string())
        .inputs(Vec::new())
        .outputs(Vec::new())
        .display_name("Run 1")
        .description("a run")
        .start_time(1_700_000_000)
        .end_time(1_700_000_100)
        // A nested builder is taken as it is; its errors surface at the end.
        .associations(models::AssociationInfo::builder().modeller_id("10378.1/2"))
        .try_into()
        .expect("complete");
    assert_eq!(
        serde_json::to_value(&record).unwrap(),
        json!({
            "workflow_template_id": "10378.1/3", "model_version": "1.2",
            "inputs": [], "outputs": [], "display_name": "Run 1",
            "description": "a run", "start_time": 1_700_000_000,
            "end_time": 1_700_000_100,
            "associations": {"modeller_id": "10378.1/2"}
        })
    );
}

/// The one-type promise, through real HTTP: what the registry returns is
/// what the prov API takes, with no conversion in between.
#[tokio::test]
async fn a_model_run_record_fetched_from_the_registry_is_sent_to_prov_unchanged() {
    let deployment = MockDeployment::start().await;
    let document = common::specs::document("registry");
    let fetched = common::specs::sample(
        &document,
        &json!({"$ref": "#/components/schemas/ModelRunFetchResponse"}),
    );
    let mut fetched = fetched;
    fetched["status"] = json!({"success": true, "details": "ok"});
    deployment
        .service("registry")
        .push(Reply::json(200, &fetched));
    let prov_document = common::specs::document("prov");
    let mut registered = common::specs::sample(
        &prov_document,
        &json!({"$ref": "#/components/schemas/RegisterModelRunResponse"}),
    );
    registered["status"] = json!({"success": true, "details": "ok"});
    deployment
        .service("prov")
        .push(Reply::json(200, &registered));
    let client = deployment.client();

    let item = client
        .registry()
        .fetch_item::<provena_client::clients::registry::ModelRun>("10378.1/9", None)
        .await
        .expect("fetch decodes");
    let Some(models::ModelRunFetchResponseItem::ItemModelRun(run)) = item.item else {
        panic!("the sample is a complete model run: {:?}", item.item);
    };
    let record: models::ModelRunRecord = run.record;
    client
        .prov()
        .register_model_run(&record)
        .await
        .expect("registered");

    let sent = deployment.service("prov").requests()[0]
        .json()
        .expect("a JSON body");
    assert_eq!(sent, serde_json::to_value(&record).unwrap());
    assert_eq!(sent, fetched["item"]["record"]);
}

#[tokio::test]
async fn a_downloaded_config_file_shows_only_its_size_in_debug_output() {
    let deployment = MockDeployment::start().await;
    let content = format!("KEYCLOAK_CLIENT_SECRET={MARKER}\n");
    deployment
        .service("registry")
        .push(Reply::raw(200, "text/plain", content.clone()));

    let file = deployment
        .client()
        .registry()
        .generate_config_file(Some(true))
        .await
        .expect("downloaded");

    assert_eq!(file.as_bytes(), content.as_bytes());
    assert_eq!(file.text(), Ok(content.as_str()));
    let shown = format!("{file:?}");
    assert_eq!(shown, format!("ConfigFile {{ bytes: {} }}", content.len()));
}
