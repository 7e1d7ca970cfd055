//! Real frame sequences through the encoder pipeline and the viewer's decoder core: applying
//! the encoded stream reproduces the server's last frame exactly.

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use wayray_client::Framebuffer;
use wayray_protocol::messages::display::Codec;
use wayray_server::session::SessionCommand;
use wayray_server::session::encode::pipeline::{Encoded, Pipeline};
use wayray_tests::fixture::Fixture;
use wayray_tests::programs::require;

/// Applies encoded frames as they come until the framebuffer equals the server's output (the
/// encoder may still be working through coalesced damage when the screen goes quiet, so the
/// comparison is repeated until `deadline`). Returns how many copy (scroll/move) regions were
/// applied.
fn converge(
    fixture: &Fixture,
    frames: &Receiver<Encoded>,
    fb: &mut Framebuffer,
    deadline: Instant,
) -> usize {
    let mut copies = 0;
    loop {
        match frames.recv_timeout(Duration::from_millis(500)) {
            Ok(encoded) => {
                copies += encoded
                    .update
                    .regions
                    .iter()
                    .filter(|r| r.codec == Codec::CopyRect)
                    .count();
                fb.apply(&encoded.update).expect("every update applies");
                continue;
            }
            Err(_) if fixture.pixels_differing(fb) == 0 => return copies,
            Err(_) if Instant::now() > deadline => {
                panic!(
                    "{} pixels differ from the server's frame",
                    fixture.pixels_differing(fb)
                );
            }
            Err(_) => {}
        }
    }
}

/// Starts an encoder pipeline (`capacity` frames out, H.264 regions when `video`) and makes
/// it the session's frame sink.
fn encode(fixture: &Fixture, capacity: usize, video: bool) -> (Pipeline, Receiver<Encoded>) {
    let (pipeline, sink, frames) = Pipeline::start(capacity, video).expect("encoder thread starts");
    fixture
        .session
        .send(SessionCommand::SetSink(Box::new(sink)));
    (pipeline, frames)
}

#[test]
fn foot_scrolling_decodes_to_the_servers_frame() {
    let Some(foot) = require("foot") else {
        return;
    };
    let mut fixture = Fixture::new("seq-foot", 1280, 720);
    // Without video: fast scrolling text could otherwise become a video region, which pauses
    // copies; this test is about copies (video has its own tests).
    let (pipeline, frames) = encode(&fixture, 4, false);
    let mut command = fixture.command(&foot);
    command.args(["sh", "-c", "for i in $(seq 1 150); do echo \"line $i of the scrolling test\"; sleep 0.02; done; sleep 30"]);
    fixture.spawn(command);
    let mut fb = Framebuffer::new().unwrap();
    // Apply frames as they come while the scrolling runs (150 lines, about 3 s; a consumer
    // that waited would see everything coalesced into one frame that no copy can express),
    // then the viewer side must converge on the server's frame.
    let mut copies = 0;
    let scrolling = Instant::now() + Duration::from_secs(5);
    while Instant::now() < scrolling {
        if let Ok(encoded) = frames.recv_timeout(Duration::from_millis(100)) {
            copies += encoded
                .update
                .regions
                .iter()
                .filter(|r| r.codec == Codec::CopyRect)
                .count();
            fb.apply(&encoded.update).expect("every update applies");
        }
    }
    copies += converge(
        &fixture,
        &frames,
        &mut fb,
        Instant::now() + Duration::from_secs(60),
    );
    assert!(fb.width() > 0, "no frame arrived");
    assert!(copies > 0, "foot scrolled but no copy region was sent");
    drop(pipeline);
}

#[test]
fn weston_simple_shm_decodes_to_the_servers_frame_after_a_keyframe_request() {
    let Some(program) = require("weston-simple-shm") else {
        return;
    };
    let mut fixture = Fixture::new("seq-shm", 640, 480);
    let (pipeline, frames) = encode(&fixture, 2, true);
    let mut child = fixture.command(&program);
    child.stdout(std::process::Stdio::null());
    let client = fixture.spawn(child);
    let mut fb = Framebuffer::new().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut applied = 0;
    while applied < 30 && Instant::now() < deadline {
        if let Ok(encoded) = frames.recv_timeout(Duration::from_secs(5)) {
            fb.apply(&encoded.update).expect("update applies");
            applied += 1;
        }
    }
    assert!(applied >= 30, "only {applied} frames arrived");
    // Stop the animation; whatever was in flight drains, and the last frame must be exact.
    let _ = client.kill();
    converge(
        &fixture,
        &frames,
        &mut fb,
        Instant::now() + Duration::from_secs(60),
    );
    // A keyframe from the current output restores a viewer that lost everything.
    pipeline.request_keyframe();
    let keyframe = frames
        .recv_timeout(Duration::from_secs(10))
        .expect("keyframe");
    assert!(keyframe.update.keyframe);
    let mut fresh = Framebuffer::new().unwrap();
    fresh.apply(&keyframe.update).unwrap();
    assert_eq!(
        fixture.pixels_differing(&fresh),
        0,
        "the keyframe differs from the output"
    );
}

#[test]
fn a_parked_pipeline_holds_no_frame_and_restarts_from_a_fresh_capture() {
    let Some(foot) = require("foot") else {
        return;
    };
    let mut fixture = Fixture::new("seq-parked", 640, 480);
    let (pipeline, frames) = encode(&fixture, 2, false);
    fixture.spawn_foot(
        &foot,
        "[cursor]\nblink=no\n",
        &["sh", "-c", "echo parked; exec sleep 60"],
    );
    let mut fb = Framebuffer::new().unwrap();
    converge(
        &fixture,
        &frames,
        &mut fb,
        Instant::now() + Duration::from_secs(60),
    );
    // No viewer: the encoder parks and gives the staging frame back too.
    assert!(!pipeline.set_active(false), "a frame was captured before");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pipeline.is_parked() {
        assert!(Instant::now() < deadline, "the pipeline never parked");
        std::thread::sleep(Duration::from_millis(10));
    }
    while frames.try_recv().is_ok() {}
    assert!(
        pipeline.set_active(true),
        "a parked pipeline still holds a frame"
    );
    // The keyframe cannot come from nothing: it waits for a capture of the whole output.
    pipeline.request_keyframe();
    assert!(
        frames.recv_timeout(Duration::from_millis(500)).is_err(),
        "a frame was encoded without a capture"
    );
    fixture.session.send(SessionCommand::CaptureAll);
    let keyframe = frames
        .recv_timeout(Duration::from_secs(10))
        .expect("a keyframe after the capture");
    assert!(keyframe.update.keyframe);
    let mut fresh = Framebuffer::new().unwrap();
    fresh.apply(&keyframe.update).unwrap();
    assert_eq!(
        fixture.pixels_differing(&fresh),
        0,
        "the keyframe differs from the output"
    );
}

#[test]
fn a_gated_pipeline_encodes_one_frame_per_grant_and_opens_when_every_gate_is_given_back() {
    let Some(program) = require("weston-simple-shm") else {
        return;
    };
    let mut fixture = Fixture::new("seq-gate", 640, 480);
    let (pipeline, frames) = encode(&fixture, 4, false);
    let mut child = fixture.command(&program);
    child.stdout(std::process::Stdio::null());
    fixture.spawn(child);
    let mut fb = Framebuffer::new().unwrap();
    // Ungated: the animation flows.
    for _ in 0..5 {
        let encoded = frames
            .recv_timeout(Duration::from_secs(10))
            .expect("a frame");
        fb.apply(&encoded.update).expect("update applies");
    }
    // Two frame loops hold the gate (a viewer replacing another): nothing without a grant,
    // one frame per grant.
    pipeline.set_gated(true);
    pipeline.set_gated(true);
    // A frame encoded before the gate closed (and one for a credit left over) may come.
    while let Ok(encoded) = frames.recv_timeout(Duration::from_millis(300)) {
        fb.apply(&encoded.update).expect("update applies");
    }
    for _ in 0..3 {
        pipeline.grant();
        let encoded = frames
            .recv_timeout(Duration::from_secs(5))
            .expect("a granted frame");
        fb.apply(&encoded.update).expect("update applies");
        assert!(
            frames.recv_timeout(Duration::from_millis(300)).is_err(),
            "a second frame for one grant"
        );
    }
    // The older loop ends: still gated. The newer one ends too: the animation flows again.
    pipeline.set_gated(false);
    assert!(frames.recv_timeout(Duration::from_millis(300)).is_err());
    pipeline.set_gated(false);
    for _ in 0..5 {
        let encoded = frames
            .recv_timeout(Duration::from_secs(5))
            .expect("an ungated frame");
        fb.apply(&encoded.update).expect("update applies");
    }
}
