//! Replays the inputs kept in `fuzz/regressions/<target>/` (crashes once fixed, minimized
//! corpora of the fuzzing runs, the H.264 seeds from real encodes) through the fuzz targets'
//! own checks, which this file includes from the fuzz crate, so every CI run repeats them
//! without the fuzzing flags.

#[path = "../../fuzz/src/checks/mod.rs"]
mod checks;

use std::path::PathBuf;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions")
        .join(target);
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect::<Vec<_>>();
    assert!(!entries.is_empty(), "no inputs kept for {target}");
    for path in entries {
        let input = std::fs::read(&path).expect("input");
        let name = path.display().to_string();
        let outcome = std::panic::catch_unwind(|| check(&input));
        assert!(outcome.is_ok(), "{name} fails its check again");
    }
}

#[test]
fn audio_playout() {
    replay("audio_playout", checks::audio_playout::check);
}

#[test]
fn wire_messages_and_framing() {
    replay("decode", checks::decode::check);
}

#[test]
fn lossless_regions() {
    replay("decode_region", checks::decode_region::check);
}

#[test]
fn h264_access_units() {
    replay("h264", checks::h264::check);
}

#[test]
fn admin_and_helper_json() {
    replay("local_sockets", checks::local_sockets::check);
}

#[test]
fn configuration_files() {
    replay("config_files", checks::config_files::check);
}

#[test]
fn session_operation_sequences() {
    replay("session_ops", checks::session_ops::check);
}
