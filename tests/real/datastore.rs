//! Data store workflows against the real data store API (which itself calls
//! the real registry and auth API).

use std::collections::BTreeSet;
use std::sync::Arc;

use provena_client::clients::registry::Dataset;
use provena_client::datasets::{DatasetFiles, MIN_PART_SIZE};
use provena_client::models as dt;
use serde_json::{Value, json};

use super::{Ctx, answered, from_json, to_json};
use crate::common;
use crate::common::s3::{files_under, patterned, temp_dir, tree};

workflows! {
    "datastore":
    dataset_round_trip,
    write_credentials_upload_and_presigned_download,
    dataset_files_upload_list_and_download,
    schema_validation_and_access_checks,
    release_review,
    unknown_dataset_is_a_typed_not_found,
}

/// Metadata of a new dataset held by the fixture organisation and person.
fn metadata(ctx_org: &str, person: &str, name: &str) -> dt::CollectionFormat {
    from_json(json!({
        "associations": {"organisation_id": ctx_org, "data_custodian_id": person},
        "approvals": {
            "ethics_registration": {"relevant": false, "obtained": false},
            "ethics_access": {"relevant": false, "obtained": false},
            "indigenous_knowledge": {"relevant": false, "obtained": false},
            "export_controls": {"relevant": false, "obtained": false}
        },
        "dataset_info": {
            "name": name, "description": "first description",
            "access_info": {"reposited": true}, "publisher_id": ctx_org,
            "created_date": {"relevant": false}, "published_date": {"relevant": false},
            "license": "https://creativecommons.org/licenses/by/4.0/",
            "keywords": ["real", "server"]
        }
    }))
}

/// Mints a dataset; its handle.
async fn mint(ctx: &Ctx, name: &str) -> String {
    let fixtures = ctx.fixtures().await;
    let minted = ctx
        .admin
        .datastore()
        .mint_dataset(&metadata(&fixtures.organisation, &fixtures.person, name))
        .await
        .expect("mint");
    assert!(minted.status.success);
    minted.handle.expect("a minted handle")
}

async fn dataset_round_trip(ctx: Arc<Ctx>) {
    let datastore = ctx.admin.datastore();
    let id = mint(&ctx, "Round trip dataset").await;

    // fetch: what was minted comes back
    let fetched = datastore.fetch_dataset(&id).await.expect("fetch");
    let item = fetched.item.expect("item");
    assert_eq!(item.id, id);
    assert_eq!(
        item.collection_format.dataset_info.name,
        "Round trip dataset"
    );
    assert_eq!(
        item.collection_format.dataset_info.description,
        "first description"
    );
    let original = item.collection_format.clone();

    // list: the data store's list and the registry's per-subtype list hold it
    let mut listed = BTreeSet::new();
    let mut key: Option<Value> = None;
    loop {
        let mut request = json!({"page_size": 2});
        if let Some(key) = &key {
            request["pagination_key"] = key.clone();
        }
        let page = datastore
            .list_datasets(&from_json(request))
            .await
            .expect("list");
        listed.extend(page.items.unwrap_or_default().into_iter().map(|d| d.id));
        match page.pagination_key {
            Some(next) => key = Some(to_json(&next)),
            None => break,
        }
    }
    assert!(listed.contains(&id), "list_datasets holds the new dataset");
    let registry_page = ctx
        .admin
        .registry()
        .list_items::<Dataset>(&from_json(json!({"page_size": 50})))
        .await
        .expect("registry list of datasets");
    assert!(
        registry_page
            .items
            .unwrap_or_default()
            .iter()
            .any(|d| d.id == id),
        "the registry lists it"
    );

    // update: edit what was fetched (fields the documents do not list ride along)
    let mut edited = original.clone();
    edited.dataset_info.description = "second description".into();
    let updated = datastore
        .update_metadata(&id, "edit description", &edited)
        .await
        .expect("update");
    assert!(updated.status.success);
    let after = datastore
        .fetch_dataset(&id)
        .await
        .expect("fetch after update");
    let after = after.item.expect("item");
    assert_eq!(
        after.collection_format.dataset_info.description,
        "second description"
    );
    assert_eq!(
        after.collection_format.dataset_info.extra, original.dataset_info.extra,
        "unlisted fields survive the round trip"
    );

    // version: a new item, version 2, pointing back
    let request: dt::VersionRequest = from_json(json!({"id": id, "reason": "new data"}));
    let version = datastore.version_dataset(&request).await.expect("version");
    assert_ne!(version.new_version_id, id);
    let new = datastore
        .fetch_dataset(&version.new_version_id)
        .await
        .expect("fetch new version");
    let new = to_json(&new.item.expect("item"));
    assert_eq!(new["versioning_info"]["version"], 2);
    assert_eq!(new["versioning_info"]["previous_version"], id.as_str());

    // revert: back to the first description
    let history = to_json(&after.history);
    let first = history
        .as_array()
        .into_iter()
        .flatten()
        .find(|entry| {
            entry["item"]["collection_format"]["dataset_info"]["description"] == "first description"
        })
        .and_then(|entry| entry["id"].as_i64())
        .expect("the minted version is in the history");
    let request: dt::ItemRevertRequest =
        from_json(json!({"id": id, "history_id": first, "reason": "undo"}));
    let reverted = datastore.revert_metadata(&request).await.expect("revert");
    assert!(reverted.status.success);
    let restored = datastore
        .fetch_dataset(&id)
        .await
        .expect("fetch after revert");
    assert_eq!(
        restored
            .item
            .expect("item")
            .collection_format
            .dataset_info
            .description,
        "first description"
    );
}

/// The files of dataset `id`, on moto, uploading in parts of the smallest
/// size S3 allows.
fn files(ctx: &Ctx, id: &str) -> DatasetFiles {
    let region =
        std::env::var("PROVENA_REAL_AWS_REGION").unwrap_or_else(|_| "ap-southeast-2".into());
    ctx.admin
        .datastore()
        .files(id)
        .s3_endpoint(&ctx.env.aws_endpoint)
        .region(region)
        .part_size(MIN_PART_SIZE)
}

async fn write_credentials_upload_and_presigned_download(ctx: Arc<Ctx>) {
    let datastore = ctx.admin.datastore();
    let id = mint(&ctx, "Upload dataset").await;
    let fetched = datastore.fetch_dataset(&id).await.expect("fetch");
    let prefix = fetched.item.expect("item").s3.path;

    let request: dt::CredentialsRequest =
        from_json(json!({"dataset_id": id, "console_session_required": false}));
    let write = datastore
        .generate_write_access_credentials(&request)
        .await
        .expect("write credentials");
    assert!(write.status.success);
    assert!(to_json(&write.credentials)["aws_session_token"].is_string());
    let body = b"temperature,site\n21.5,north\n";
    let key = format!("{prefix}data/readings.csv");
    let dir = common::s3::tree("presigned", &[("readings.csv", body.to_vec())]);
    files(&ctx, &id)
        .upload_file(dir.join("readings.csv"), "data/readings.csv")
        .send()
        .await
        .expect("upload with the data store's write credentials");
    // (moto does not enforce the session policy that scopes these keys to the
    // dataset's prefix, so that scoping cannot be checked here.)

    let read = datastore
        .generate_read_access_credentials(&request)
        .await
        .expect("read credentials");
    assert!(read.status.success);
    assert!(to_json(&read.credentials)["aws_access_key_id"].is_string());

    let request: dt::PresignedUrlRequest =
        from_json(json!({"dataset_id": id, "file_path": "data/readings.csv", "expires_in": 600}));
    let presigned = datastore
        .generate_presigned_url(&request)
        .await
        .expect("presigned url");
    let downloaded = reqwest::get(&presigned.presigned_url)
        .await
        .expect("download")
        .bytes()
        .await
        .expect("body");
    assert_eq!(
        &downloaded[..],
        body,
        "the presigned URL serves the same bytes"
    );
    assert_eq!(ctx.helper(&["s3-get", &key]).as_bytes(), body);
}

async fn schema_validation_and_access_checks(ctx: Arc<Ctx>) {
    let fixtures = ctx.fixtures().await.clone();
    let datastore = ctx.admin.datastore();
    let schema = datastore.get_dataset_schema().await.expect("schema");
    assert!(!to_json(&schema)["json_schema"].is_null());

    let valid = metadata(&fixtures.organisation, &fixtures.person, "Valid");
    let answer = datastore.validate_metadata(&valid).await.expect("validate");
    assert!(answer.success, "valid metadata: {}", answer.details);
    // An invalid answer is an answer, not an error.
    let invalid = metadata("10378.1/no-such-org", &fixtures.person, "Invalid");
    let answer = datastore
        .validate_metadata(&invalid)
        .await
        .expect("validation answers");
    assert!(!answer.success, "an unknown organisation is invalid");
    assert!(!answer.details.is_empty());

    let health = datastore.get_health_check().await.expect("health");
    assert!(!health.is_empty());
    let config = datastore
        .generate_config_file(Some(true))
        .await
        .expect("config");
    assert!(!config.as_bytes().is_empty());
    for (name, user) in [
        ("admin", datastore.check_admin_access().await),
        ("general", datastore.check_general_access().await),
        ("read", datastore.check_read_access().await),
        ("write", datastore.check_write_access().await),
    ] {
        let user = user.unwrap_or_else(|e| panic!("check {name} access: {e}"));
        assert_eq!(user.username, ctx.env.admin_username);
    }
    let error = ctx
        .user
        .datastore()
        .check_admin_access()
        .await
        .expect_err("not an admin");
    assert_eq!(error.status(), Some(401), "{error}");
}

async fn release_review(ctx: Arc<Ctx>) {
    let fixtures = ctx.fixtures().await.clone();
    let id = mint(&ctx, "Released dataset").await;
    let review = ctx.admin.datastore();
    let admin = review.review();
    admin
        .add_dataset_reviewer(&fixtures.person)
        .await
        .expect("add reviewer");
    let reviewers = admin.list_reviewers().await.expect("list reviewers");
    assert!(reviewers.contains(&fixtures.person), "{reviewers:?}");

    let request: dt::ReleaseApprovalRequest =
        from_json(json!({"dataset_id": id, "approver_id": fixtures.person, "notes": "please"}));
    let requested = admin.approval_request(&request).await;
    answered("approval request", &requested);
    let action: dt::ActionApprovalRequest =
        from_json(json!({"dataset_id": id, "approve": true, "notes": "fine"}));
    let actioned = admin.action_approval_request(&action).await;
    answered("action approval request", &actioned);
    if requested.is_ok() && actioned.is_ok() {
        let fetched = review.fetch_dataset(&id).await.expect("fetch");
        assert_eq!(
            to_json(&fetched.item.expect("item"))["release_status"],
            "RELEASED"
        );
    }

    admin
        .delete_dataset_reviewer(&fixtures.person)
        .await
        .expect("delete reviewer");
    let reviewers = admin.list_reviewers().await.expect("list reviewers");
    assert!(!reviewers.contains(&fixtures.person), "{reviewers:?}");
}

async fn unknown_dataset_is_a_typed_not_found(ctx: Arc<Ctx>) {
    let error = ctx
        .admin
        .datastore()
        .fetch_dataset("10378.1/no-such-dataset")
        .await
        .expect_err("no such dataset");
    assert!(error.is_not_found(), "{error}");
}

async fn dataset_files_upload_list_and_download(ctx: Arc<Ctx>) {
    let id = mint(&ctx, "Files dataset").await;
    let files = files(&ctx, &id);
    let location = files.location().await.expect("location");
    assert_eq!(location.bucket, ctx.env.bucket);
    let prefix = location.prefix;
    // Larger than one part: a multipart upload of two parts.
    let big = patterned(MIN_PART_SIZE + 1024 * 1024, 3);
    let src = tree(
        "real-files",
        &[
            ("readme.txt", b"what this is".to_vec()),
            ("empty.dat", Vec::new()),
            ("model/output/big.bin", big.clone()),
        ],
    );

    let progress_seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&progress_seen);
    let uploaded = files
        .upload_dir(&src)
        .concurrency(2)
        .on_progress(move |p| seen.lock().expect("lock").push(p.clone()))
        .send()
        .await
        .expect("upload the tree with the data store's write credentials");
    assert_eq!(uploaded.files.len(), 3);
    assert_eq!(uploaded.bytes, big.len() as u64 + 12);
    assert!(
        uploaded.files.iter().all(|f| f.checksum_verified),
        "moto's ETags are MD5s (of the parts, for the multipart one): {:?}",
        uploaded.files
    );
    let last = progress_seen
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("progress");
    assert_eq!((last.files_done, last.files_total), (3, 3));
    assert_eq!(last.bytes_done, last.bytes_total);

    // list: paths inside the dataset and sizes; the data store itself wrote
    // the dataset's metadata.json there when it was minted
    let listed = files.list().await.expect("list with read credentials");
    let listed: Vec<(String, u64)> = listed.iter().map(|f| (f.path.clone(), f.size)).collect();
    let paths: Vec<&str> = listed.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "empty.dat",
            "metadata.json",
            "model/output/big.bin",
            "readme.txt"
        ]
    );
    assert!(listed.contains(&("model/output/big.bin".to_string(), big.len() as u64)));
    assert!(listed.contains(&("readme.txt".to_string(), 12)));
    assert_eq!(
        ctx.helper(&["s3-get", &format!("{prefix}readme.txt")]),
        "what this is",
        "the object is where the data store says the dataset's files are"
    );

    // download all: the uploaded tree byte for byte, and the metadata file
    let dest = temp_dir("real-all");
    let downloaded = files
        .download_all(&dest)
        .send()
        .await
        .expect("download all");
    assert_eq!(downloaded.files.len(), 4);
    let mut got = files_under(&dest);
    let metadata_at = got
        .iter()
        .position(|(path, _)| path == "metadata.json")
        .expect("metadata.json downloaded");
    let (_, metadata) = got.remove(metadata_at);
    let metadata: Value = serde_json::from_slice(&metadata).expect("metadata.json is JSON");
    assert!(metadata.to_string().contains("Files dataset"), "{metadata}");
    assert_eq!(got, files_under(&src));

    // download one path
    let one = temp_dir("real-one");
    files
        .download("model/output/big.bin", &one)
        .send()
        .await
        .expect("download one file");
    assert_eq!(
        files_under(&one),
        vec![("model/output/big.bin".to_string(), big)]
    );
}
