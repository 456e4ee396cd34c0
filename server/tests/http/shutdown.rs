//! The real binary stops cleanly on SIGTERM: requests in flight get their answer first.

use std::io::BufRead;
use std::process::Command;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{PASSWORD, RunningServer, client, start_server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_requests_in_flight_finish_then_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let RunningServer {
        child: mut server,
        url,
        stdout,
    } = start_server(dir.path().join("db.sqlite"), &dir.path().join("signing.key"));

    let client = client();
    let response = client
        .post(format!("{url}/api/sign_in"))
        .form(&[("email", "global.admin@contoso.example"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();

    // A year's export whose body arrives in two halves: SIGTERM lands between them, while
    // the request is certainly in flight.
    let now = chrono::Utc::now();
    let body = format!(
        "from={}&to={}&from_date=2025-11-25&to_date=2026-11-25",
        (now - chrono::Duration::days(365)).format("%Y-%m-%dT%H:%M:%SZ"),
        now.format("%Y-%m-%dT%H:%M:%SZ")
    );
    let address = url.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /account-settings/activity-log/export HTTP/1.1\r\nHost: {address}\r\nCookie: {cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let (first_half, second_half) = body.split_at(body.len() / 2);
    stream
        .write_all(format!("{head}{first_half}").as_bytes())
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let status = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stream.write_all(second_half.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{:.300}", answer);
    assert!(
        answer.contains("Date-Time (UTC),Affected customer"),
        "the whole CSV arrived"
    );

    let exit = server.wait().unwrap();
    assert!(exit.success(), "exit status {exit}");
    let rest: Vec<String> = stdout.lines().map(Result::unwrap).collect();
    assert!(rest.iter().any(|line| line == "stopped cleanly"), "{rest:?}");
    assert!(
        client.get(format!("{url}/sign-in")).send().await.is_err(),
        "no longer listening"
    );
}
