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
}

/// Runs `provena args…` as the admin user, every service at its proxy.
async fn provena(ctx: &Ctx, token: &str, args: &[&str]) -> Output {
    let mut command = assert_cmd::Command::cargo_bin("provena").expect("the cli binary");
    let home = std::env::temp_dir().join(format!("provena-real-cli-{}", std::process::id()));
    command
        .env_clear()
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("PROVENA_ACCESS_TOKEN", token)
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
