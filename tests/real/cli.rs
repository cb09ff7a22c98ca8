//! The `provena` binary against the real servers: the commands whose
//! services run here, through the recording proxies.

use std::process::Output;
use std::sync::Arc;

use serde_json::Value;

use super::Ctx;

workflows! {
    "cli":
    whoami_names_the_real_user_and_their_linked_person,
    get_prints_a_real_item_as_json,
    get_of_an_unknown_id_fails_with_exit_code_1,
    dataset_minted_from_yaml_then_uploaded_and_downloaded_whole,
    specs_check_finds_the_real_servers_documents_as_vendored,
}

/// Runs `provena args…` with `token`, every service at its proxy.
async fn provena(ctx: &Ctx, token: &str, args: &[&str]) -> Output {
    let mut command = assert_cmd::Command::cargo_bin("provena").expect("the cli binary");
    let home = std::env::temp_dir().join(format!("provena-real-cli-{}", std::process::id()));
    command
        .env_clear()
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("PROVENA_ACCESS_TOKEN", token)
        .env("PROVENA_S3_ENDPOINT", &ctx.env.aws_endpoint)
        .args(["--domain", "not-running.invalid", "--realm", "provena"]);
    for proxy in &ctx.proxies {
        command
            .arg("--endpoint")
            .arg(format!("{}={}", proxy.service(), proxy.url()));
    }
    command.args(args);
    // The proxies run on this runtime: wait for the process off its threads.
    tokio::task::spawn_blocking(move || command.output().expect("the binary runs"))
        .await
        .expect("the waiting task finishes")
}

fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "provena failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is JSON")
}

async fn whoami_names_the_real_user_and_their_linked_person(ctx: Arc<Ctx>) {
    let person = ctx.fixtures().await.person.clone();
    let me = json(&provena(&ctx, &ctx.env.admin_token, &["whoami", "--output", "json"]).await);

    assert_eq!(me["username"], ctx.env.admin_username.as_str());
    assert_eq!(me["linked_person"], person.as_str());
    let roles: Vec<&str> = me["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        roles.contains(&"entity-registry-read") && roles.contains(&"entity-registry-write"),
        "{roles:?}"
    );
    assert!(me["token_expires_at"].as_u64().is_some(), "{me}");
    assert!(
        !me.to_string().contains(&ctx.env.admin_token),
        "the token is never printed"
    );
}

async fn get_prints_a_real_item_as_json(ctx: Arc<Ctx>) {
    let organisation = ctx.fixtures().await.organisation.clone();
    let item = json(
        &provena(
            &ctx,
            &ctx.env.user_token,
            &["get", &organisation, "--output", "json"],
        )
        .await,
    );

    assert_eq!(item["id"], organisation.as_str());
    assert_eq!(item["item_subtype"], "ORGANISATION");
}

async fn get_of_an_unknown_id_fails_with_exit_code_1(ctx: Arc<Ctx>) {
    let output = provena(
        &ctx,
        &ctx.env.user_token,
        &["get", "10378.1/does-not-exist"],
    )
    .await;

    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("provena: "), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// Dataset metadata in YAML block style (not JSON-shaped), as users write it.
fn metadata_yaml(organisation: &str, person: &str) -> String {
    format!(
        "associations:
  organisation_id: \"{organisation}\"
  data_custodian_id: \"{person}\"
approvals:
  ethics_registration: {{relevant: false, obtained: false}}
  ethics_access: {{relevant: false, obtained: false}}
  indigenous_knowledge: {{relevant: false, obtained: false}}
  export_controls: {{relevant: false, obtained: false}}
dataset_info:
  name: CLI dataset
  description: Minted by provena dataset mint
  access_info:
    reposited: true
  publisher_id: \"{organisation}\"
  created_date: {{relevant: false}}
  published_date: {{relevant: false}}
  license: https://creativecommons.org/licenses/by/4.0/
  keywords:
    - cli
"
    )
}

async fn dataset_minted_from_yaml_then_uploaded_and_downloaded_whole(ctx: Arc<Ctx>) {
    let fixtures = ctx.fixtures().await.clone();
    let work = std::env::temp_dir().join(format!("provena-real-cli-data-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let (src, dest) = (work.join("src"), work.join("dest"));
    std::fs::create_dir_all(src.join("nested")).expect("source tree");
    std::fs::write(src.join("a.csv"), b"x,y\n1,2\n").expect("a file");
    std::fs::write(src.join("nested/b.txt"), b"nested bytes").expect("a nested file");
    let yaml = work.join("dataset.yaml");
    std::fs::write(
        &yaml,
        metadata_yaml(&fixtures.organisation, &fixtures.person),
    )
    .expect("metadata");
    let token = ctx.env.admin_token.clone();

    let minted = json(
        &provena(
            &ctx,
            &token,
            &[
                "dataset",
                "mint",
                &yaml.display().to_string(),
                "--output",
                "json",
            ],
        )
        .await,
    );
    let id = minted["id"].as_str().expect("a minted id").to_owned();

    let uploaded = provena(
        &ctx,
        &token,
        &["dataset", "upload", &id, &src.display().to_string()],
    )
    .await;
    assert!(
        uploaded.status.success(),
        "{}",
        String::from_utf8_lossy(&uploaded.stderr)
    );
    assert!(
        String::from_utf8_lossy(&uploaded.stderr).contains("uploaded"),
        "plain progress lines off a terminal"
    );
    let downloaded = json(
        &provena(
            &ctx,
            &token,
            &[
                "dataset",
                "download",
                &id,
                "--dest",
                &dest.display().to_string(),
                "--output",
                "json",
            ],
        )
        .await,
    );

    assert!(
        downloaded["files"].as_array().is_some_and(|f| f.len() >= 2),
        "{downloaded}"
    );
    assert_eq!(
        std::fs::read(dest.join("a.csv")).expect("downloaded"),
        b"x,y\n1,2\n"
    );
    assert_eq!(
        std::fs::read(dest.join("nested/b.txt")).expect("downloaded"),
        b"nested bytes"
    );
    let _ = std::fs::remove_dir_all(&work);
}

/// The four services that run here publish exactly the API the client was
/// built from: their live `/openapi.json`, normalised, is the vendored spec.
/// Straight to the servers: the proxies check answers against the vendored
/// documents, which do not (and should not) declare `/openapi.json`.
async fn specs_check_finds_the_real_servers_documents_as_vendored(ctx: Arc<Ctx>) {
    let mut args = vec!["specs".to_owned(), "check".to_owned()];
    for (service, url) in &ctx.env.urls {
        args.extend([
            "--endpoint".to_owned(),
            format!("{service}={url}"),
            "--only".to_owned(),
            (*service).to_owned(),
        ]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = provena(&ctx, &ctx.env.user_token, &args).await;

    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let report = String::from_utf8_lossy(&output.stdout);
    for (service, _) in &ctx.env.urls {
        assert!(
            report.contains(&format!("{service}: no drift\n")),
            "{report}"
        );
    }
    assert_eq!(report.lines().count(), ctx.env.urls.len(), "{report}");
}
