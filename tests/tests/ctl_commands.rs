//! Every wayray-ctl command, with and without `--json`, against a running daemon with a real
//! session; and the exit statuses scripts rely on.

use std::time::Duration;

use wayray_client::Viewer;
use wayray_tests::daemon::Daemon;
use wayray_tests::programs::require;

fn text(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_with_and_without_json() {
    let Some(daemon) = Daemon::start("ctl", "") else {
        return;
    };
    // status
    let status = text(&daemon.ctl(&["status"]));
    assert!(status.contains(&daemon.fingerprint), "{status}");
    assert!(status.contains(&daemon.addr.to_string()), "{status}");
    let status = daemon.ctl_json(&["status"]);
    assert_eq!(status["listen"], daemon.addr.to_string());
    assert_eq!(status["sessions"], 0);

    // token issue: the secret is printed once, in both forms.
    let plain = text(&daemon.ctl(&["token", "issue"]));
    let secret = plain.lines().next().unwrap().trim().to_owned();
    assert!(secret.starts_with("wrt_"), "{plain}");
    let issued = daemon.ctl_json(&["token", "issue"]);
    let token = issued["token"].as_str().unwrap().to_owned();
    let token_id = issued["id"].as_str().unwrap().to_owned();

    // A session to administer.
    let mut viewer = Viewer::connect(&daemon.viewer_options(&token))
        .await
        .unwrap();
    while viewer.frames == 0 {
        viewer.next_update().await.unwrap();
    }
    let id = viewer.session_id.clone();

    // sessions
    let table = text(&daemon.ctl(&["sessions"]));
    assert!(table.starts_with("ID"), "{table}");
    assert!(
        table.contains("attached") && table.contains(&token_id),
        "{table}"
    );
    let sessions = daemon.ctl_json(&["sessions"]);
    let s = &sessions.as_array().unwrap()[0];
    for key in ["id", "state", "token_id", "attached"] {
        assert!(!s[key].is_null(), "sessions --json lacks {key}: {s}");
    }
    assert_eq!(s["attached"], true);

    // session show
    assert!(text(&daemon.ctl(&["session", "show", &id])).contains("attached     yes"));
    assert_eq!(
        daemon.ctl_json(&["session", "show", &id])["state"],
        "attached"
    );

    // session screenshot: a real PNG of the session's size.
    let png = daemon.dir.path().join("shot.png");
    let said = text(&daemon.ctl(&["session", "screenshot", &id, png.to_str().unwrap()]));
    assert!(said.contains("wrote"), "{said}");
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
    let info = decoder.read_info().unwrap().info().clone();
    assert_eq!((info.width, info.height), (640, 480));
    let json_png = daemon.dir.path().join("shot2.png");
    daemon.ctl_json(&["session", "screenshot", &id, json_png.to_str().unwrap()]);
    assert!(json_png.is_file());

    // session run
    let Some(shm) = require("weston-simple-shm") else {
        return;
    };
    let started = text(&daemon.ctl(&["session", "run", &id, "--", shm.to_str().unwrap()]));
    assert!(started.contains("pid"), "{started}");
    let started = daemon.ctl_json(&["session", "run", &id, "--", "true"]);
    assert!(started["pid"].as_u64().unwrap() > 0);
    let missing = daemon.ctl(&["session", "run", &id, "--", "/nonexistent/program"]);
    assert_eq!(missing.status.code(), Some(1));

    // session detach: the viewer goes, the session stays.
    assert!(text(&daemon.ctl(&["session", "detach", &id])).contains("keeps running"));
    daemon.wait_sessions("detached", |s| s[0]["state"] == "detached");
    let again = daemon.ctl(&["--json", "session", "detach", &id]);
    assert_eq!(again.status.code(), Some(4), "no viewer to detach");
    let err: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(err["kind"], "invalid");
    drop(viewer);

    // token list never shows secrets; token revoke.
    let list = text(&daemon.ctl(&["token", "list"]));
    assert!(list.contains(&token_id) && !list.contains("wrt_"), "{list}");
    let list = daemon.ctl_json(&["token", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(!list.to_string().contains("wrt_"));
    assert!(text(&daemon.ctl(&["token", "revoke", &token_id])).contains("revoked"));
    let second = daemon.ctl_json(&["token", "issue", "--session", &id]);
    assert_eq!(second["session"].as_u64(), id.parse().ok());
    let revoked = daemon.ctl_json(&["token", "revoke", second["id"].as_str().unwrap()]);
    assert!(revoked["message"].as_str().unwrap().contains("revoked"));

    // session kill, in both forms (a second session for the JSON one).
    assert!(text(&daemon.ctl(&["session", "kill", &id])).contains("ended"));
    let shown = daemon.ctl_json(&["session", "show", &id]);
    assert_eq!(shown["state"], "ended");
    assert_eq!(shown["end_reason"]["kind"], "killed");
    let (_, other) = daemon.issue_token();
    let v2 = Viewer::connect(&daemon.viewer_options(&other))
        .await
        .unwrap();
    let killed = daemon.ctl_json(&["session", "kill", &v2.session_id]);
    assert!(killed["message"].as_str().unwrap().contains("ended"));
    assert!(daemon.sessions().is_empty());
}

#[test]
fn exit_statuses_scripts_rely_on() {
    let Some(daemon) = Daemon::start("ctl-exit", "") else {
        return;
    };
    assert_eq!(
        daemon.ctl(&["session", "show", "999"]).status.code(),
        Some(3)
    );
    assert_eq!(
        daemon.ctl(&["token", "revoke", "t-none"]).status.code(),
        Some(3)
    );
    assert_eq!(
        daemon
            .ctl(&["token", "issue", "--session", "999"])
            .status
            .code(),
        Some(3)
    );
    let unreachable = daemon.ctl(&["--socket", "/nonexistent/admin.sock", "status"]);
    assert_eq!(unreachable.status.code(), Some(5));
    let said = String::from_utf8_lossy(&unreachable.stderr);
    assert!(said.contains("is the daemon running"), "{said}");
    assert_eq!(daemon.ctl(&["session", "bogus"]).status.code(), Some(2));
    // Pool commands on a server without [pool]: invalid, and the help says what to add.
    let alone = daemon.ctl(&["pool", "servers"]);
    assert_eq!(alone.status.code(), Some(4));
    let said = String::from_utf8_lossy(&alone.stderr);
    assert!(
        said.contains("not in a pool") && said.contains("[pool]"),
        "{said}"
    );
    // A request the daemon cannot parse is answered, not dropped.
    let line = raw_admin(&daemon, b"{\"request\":\"nope\"}\n");
    assert!(line.contains("\"kind\":\"invalid\""), "{line}");
    // A line longer than any request is refused without being buffered whole.
    let line = raw_admin(&daemon, &vec![b'x'; 200 * 1024]);
    assert!(line.contains("request too long"), "{line}");
    // The daemon is still fine.
    assert!(daemon.ctl(&["status"]).status.success());
}

#[test]
fn completions_and_man_pages_are_generated() {
    let Some(daemon) = Daemon::start("ctl-docs", "") else {
        return;
    };
    let bash = text(&daemon.ctl(&["completions", "bash"]));
    assert!(bash.contains("wayray-ctl") && bash.contains("screenshot"));
    let dir = daemon.dir.path().join("man");
    text(&daemon.ctl(&["man", dir.to_str().unwrap()]));
    let page = std::fs::read_to_string(dir.join("wayray-ctl.1")).unwrap();
    assert!(page.contains(".TH"), "not a man page");
    assert!(dir.join("wayray-ctl-session-screenshot.1").is_file());
    let socket = daemon.dir.path().join("wayray").join("admin.sock");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the admin socket must be private");
}

/// Writes `bytes` straight to the daemon's admin socket and returns its first reply line.
fn raw_admin(daemon: &Daemon, bytes: &[u8]) -> String {
    use std::io::{BufRead, Write};
    let mut stream = std::os::unix::net::UnixStream::connect(
        daemon.dir.path().join("wayray").join("admin.sock"),
    )
    .unwrap();
    // The daemon may stop reading an over-long request early; its reply still comes.
    let _ = stream.write_all(bytes);
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(&stream)
        .read_line(&mut line)
        .unwrap();
    line
}
