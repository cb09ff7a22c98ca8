#[tokio::test]
async fn sizes() {
    use provena_client::{Config, ProvenaClient, auth::StaticToken};
    let config = Config::builder().domain("x.invalid").build().unwrap();
    let client = ProvenaClient::new(config, StaticToken::shared("t")).unwrap();
    let raw = client.registry().raw();
    let f = raw.fetch_agent_organisation("x", None);
    eprintln!("generated future {}", std::mem::size_of_val(&f));
}
