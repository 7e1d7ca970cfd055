//! Render + capture cost of one frame at 1920x1080, measured inside the compositor (the time
//! `render_frame` takes, summed over the frames of a batch), for:
//! - a frame where one 16x32 glyph cell changed, and
//! - a full-damage frame (the whole 1920x1080 window redrawn),
//!
//! with a sink that copies the damaged rows out of the output image, and
//! with the encoder's pipeline as the sink, keeping the picture or copying the rows, for both.
//!
//! A real Wayland client (over a socket pair) drives the frames with shm buffers.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use wayray_server::session::SessionCommand;
use wayray_server::session::capture::{CapturedFrame, FrameSink};
use wayray_server::session::encode::pipeline::Pipeline;
use wayray_tests::fixture::Fixture;
use wayray_tests::wl_client::WlClient;

fn bench(c: &mut Criterion) {
    let fixture = Fixture::new("bench-render", 1920, 1080);
    // Capture reads the damaged rows, as the encoder will: copy them out of the output image.
    let mut copied = Vec::with_capacity(1920 * 1080 * 4);
    fixture.session.send(SessionCommand::SetSink(Box::new(
        move |frame: &CapturedFrame<'_>| {
            copied.clear();
            for rect in frame.damage() {
                for y in rect.loc.y..rect.loc.y + rect.size.h {
                    copied.extend_from_slice(frame.row(
                        rect.loc.x as u32,
                        y as u32,
                        rect.size.w as u32,
                    ));
                }
            }
            std::hint::black_box(&copied);
        },
    )));
    let stream = fixture.session.connect_client().expect("socket pair");
    let mut client = WlClient::connect(stream, fixture.dir.path());
    let mut window = client.toplevel("bench");
    client.roundtrip();
    client.ack(&window, 0);
    client.draw(&mut window, 1920, 1080, 0xff000000);
    client.roundtrip();
    client.wait_frames();

    let mut group = c.benchmark_group("render_capture_1080p");
    group.measurement_time(Duration::from_secs(5));
    let mut colour = 0u32;
    // One frame of the given kind; the compositor's time for `iters` of them.
    let mut frames = |kind: Kind, iters: u64| {
        let before = fixture.session.stats().expect("stats").render_time;
        for i in 0..iters {
            colour = colour.wrapping_add(0x010203);
            match kind {
                Kind::Glyph => {
                    let x = (i as i32 * 16) % 1904;
                    client.draw_rect(&mut window, (x, 512, 16, 32), 0xff000000 | colour);
                }
                Kind::Full => client.draw(&mut window, 1920, 1080, 0xff000000 | colour),
            }
            client.wait_frames();
        }
        fixture.session.stats().expect("stats").render_time - before
    };
    group.bench_function("glyph_cell_16x32", |b| {
        b.iter_custom(|iters| frames(Kind::Glyph, iters))
    });
    group.bench_function("full_frame", |b| {
        b.iter_custom(|iters| frames(Kind::Full, iters))
    });
    // The encoder's pipeline as the sink: it keeps each rendered picture and gives back an
    // older one (ADR 0049), or, behind a sink that only reads, copies the damaged rows into
    // its staging frame as it did before.
    for (name, lent) in [("lent", true), ("copied", false)] {
        let (pipeline, sink, encoded) = Pipeline::start(2, false).expect("encoder thread");
        let drain = std::thread::spawn(move || while encoded.recv().is_ok() {});
        let sink: Box<dyn FrameSink + Send> = if lent {
            Box::new(sink)
        } else {
            let mut sink = sink;
            Box::new(move |frame: &CapturedFrame<'_>| sink.frame(frame))
        };
        fixture.session.send(SessionCommand::SetSink(sink));
        group.bench_function(format!("glyph_cell_16x32_to_the_encoder_{name}"), |b| {
            b.iter_custom(|iters| frames(Kind::Glyph, iters))
        });
        group.bench_function(format!("full_frame_to_the_encoder_{name}"), |b| {
            b.iter_custom(|iters| frames(Kind::Full, iters))
        });
        drop(pipeline);
        let _ = drain.join();
    }
    group.finish();
}

#[derive(Clone, Copy)]
enum Kind {
    /// One 16×32 glyph cell changed.
    Glyph,
    /// The whole window redrawn.
    Full,
}

criterion_group!(benches, bench);
criterion_main!(benches);
