//! The CI-sized load run (the full one is `cargo bench -p wayray-tests --bench load`): four
//! sessions with a viewer each on one daemon for 10 s, two typing, two scrolling. Nothing may
//! fail, every key must show, and every session must still run afterwards.

use std::time::Duration;

use wayray_tests::daemon::Daemon;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_sessions_under_typing_and_scrolling_lose_nothing() {
    let Some(daemon) = Daemon::start_with("load", "", "640x480", "warn") else {
        return;
    };
    let report = wayray_tests::load::run(&daemon, 4, Duration::from_secs(10)).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.keys.len() >= 100, "{} keys typed", report.keys.len());
    assert_eq!(
        report.lost_keys(),
        0,
        "of {} keys some never showed",
        report.keys.len()
    );
    assert!(
        report.scroll_frames >= 20,
        "the scrolling sessions sent {} frames",
        report.scroll_frames
    );
    assert_eq!(report.alive_after, 4, "sessions running after the run");
    assert!(
        report.cpu_percent > 0.0 && report.memory_mib.1 > 0.0,
        "server side measured: {:.0} % CPU, {:.0} MiB",
        report.cpu_percent,
        report.memory_mib.1
    );
}
