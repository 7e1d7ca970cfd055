//! A client that writes garbage on its socket is disconnected; the compositor and every other
//! client keep running.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use wayray_tests::fixture::Fixture;
use wayray_tests::programs::require;

const WAIT: Duration = Duration::from_secs(20);

#[test]
fn garbage_client_is_dropped_while_simple_shm_keeps_getting_frames() {
    let Some(program) = require("weston-simple-shm") else {
        return;
    };
    let mut fixture = Fixture::new("garbage", 640, 480);
    fixture.spawn(fixture.command(&program));
    let (ok, shot) = fixture.wait_for(WAIT, |s| s.windows == 1 && s.frames > 3);
    assert!(ok, "weston-simple-shm did not start");

    let socket = fixture.dir.path().join(fixture.session.socket_name());
    for garbage in [
        vec![0xffu8; 64],
        // A request on an object id that does not exist.
        vec![7, 0, 0, 0, 0, 0, 12, 0, 1, 2, 3, 4],
        // A header announcing a message longer than what follows, then end of stream.
        vec![1, 0, 0, 0, 0, 0, 0xf0, 0x0f],
    ] {
        let mut stream = UnixStream::connect(&socket).expect("connect");
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.write_all(&garbage).unwrap();
        let _ = stream.shutdown(std::net::Shutdown::Write);
        // The compositor answers with a protocol error (or nothing) and closes: read reaches EOF.
        let mut reply = Vec::new();
        let closed = stream.read_to_end(&mut reply).is_ok();
        assert!(closed, "the garbage client was not disconnected");
    }

    let before = shot.frames;
    let (still_running, after) =
        fixture.wait_for(WAIT, |s| s.frames > before + 10 && s.windows == 1);
    assert!(
        still_running,
        "frames stalled at {} after garbage (windows {})",
        after.frames, after.windows
    );
}
