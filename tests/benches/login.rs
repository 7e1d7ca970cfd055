//! Multi-user figures, with real accounts, real PAM (pam_unix) and `serve` started as root,
//! sessions running foot at 640×480 on loopback:
//!
//! - login → first frame when the user has no session (PAM twice, PAM session, session
//!   process and foot started as the user), p50/p90 over 20 logins;
//! - login → first frame when the user's session runs (one PAM check, attach), over 20;
//! - another user's keystroke → changed pixels p99 while 200 failed logins arrive in 10 s.
//!
//! Needs root (it creates the test accounts `wr-alice`, `wr-bob`, `wr-daemon` and the PAM
//! service `wayray-test`, and removes them). Run with the binaries it starts built in the
//! same profile: `cargo build --release -p wayray-server -p wayray-client -p wayray-ctl &&
//! cargo bench -p wayray-tests --bench login`.

use std::time::{Duration, Instant};

use wayray_client::Viewer;
use wayray_protocol::secret::Secret;
use wayray_protocol::session::Credentials;
use wayray_tests::accounts::{TestAccounts, TestUser};
use wayray_tests::keys::typist;
use wayray_tests::multi_user::MultiUserServer;

const LOGINS: usize = 20;
const FAILURES: usize = 200;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn login(user: &TestUser, password: &str) -> Credentials {
    Credentials::Login {
        user: user.name.clone(),
        password: Secret::new(password.to_owned()),
    }
}

/// Milliseconds from connecting to the first frame.
async fn to_first_frame(server: &MultiUserServer, credentials: Credentials) -> (f64, Viewer) {
    let started = Instant::now();
    let mut viewer = Viewer::connect(&server.options(credentials))
        .await
        .expect("login");
    while viewer.frames == 0 {
        viewer.next_update().await.expect("first frame");
    }
    (started.elapsed().as_secs_f64() * 1000.0, viewer)
}

fn report(what: &str, mut samples: Vec<f64>) {
    samples.sort_by(f64::total_cmp);
    println!(
        "{what}: p50 {:.1} ms, p90 {:.1} ms, max {:.1} ms over {}",
        percentile(&samples, 0.5),
        percentile(&samples, 0.9),
        samples[samples.len() - 1],
        samples.len()
    );
}

fn main() {
    let accounts = TestAccounts::create(&["wr-alice", "wr-bob"], "wr-daemon", "wayray-test")
        .expect("this benchmark creates accounts: run it as root");
    let server = MultiUserServer::start("bench-login", &accounts, "").expect("server");
    let alice = accounts.user_named("wr-alice").clone();
    let bob = accounts.user_named("wr-bob").clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut fresh = Vec::new();
        for _ in 0..LOGINS {
            let (ms, viewer) = to_first_frame(&server, login(&alice, &alice.password)).await;
            fresh.push(ms);
            viewer.disconnect().await;
            let sessions = server.ctl_json(&["sessions"]);
            for session in sessions.as_array().expect("array") {
                server.ctl_json(&["session", "kill", &session["id"].to_string()]);
            }
        }
        report("login, new session → first frame", fresh);

        let (_, first) = to_first_frame(&server, login(&alice, &alice.password)).await;
        first.disconnect().await;
        let mut again = Vec::new();
        for _ in 0..LOGINS {
            let (ms, viewer) = to_first_frame(&server, login(&alice, &alice.password)).await;
            again.push(ms);
            viewer.disconnect().await;
        }
        report("login, running session → first frame", again);

        let (_, mut bobs) = to_first_frame(&server, login(&bob, &bob.password)).await;
        // foot starts and draws; what it sent meanwhile is applied before timing keys.
        tokio::time::sleep(Duration::from_secs(2)).await;
        bobs.settle(
            Duration::from_millis(300),
            Instant::now() + Duration::from_secs(5),
        )
        .await
        .expect("bob's session settles");
        let until = Instant::now() + Duration::from_secs(10);
        let typing = tokio::spawn(typist(bobs, until, Duration::from_millis(100)));
        let mut refused = 0;
        let started = Instant::now();
        for i in 0..FAILURES {
            let at = started + Duration::from_millis((i * 10_000 / FAILURES) as u64);
            tokio::time::sleep_until(at.into()).await;
            let options = server.options(login(&alice, "not her password"));
            if Viewer::connect(&options).await.is_err() {
                refused += 1;
            }
        }
        let mut samples = typing.await.expect("typist");
        samples.sort_by(f64::total_cmp);
        println!(
            "{refused} of {FAILURES} failed logins refused in {:.1} s; bob's keystroke → pixels \
             p50 {:.1} ms, p99 {:.1} ms over {} keys",
            started.elapsed().as_secs_f64(),
            percentile(&samples, 0.5),
            percentile(&samples, 0.99),
            samples.len()
        );
    });
}
