//! The session's sound, end to end: an application in the session (this program, through the
//! session's own PulseAudio socket) plays 100 ms tone bursts every 400 ms; a viewer (the
//! library, in this process, so both ends read one clock) attached through a shaping relay
//! records when each burst's first sound leaves its player. Tone in = when the burst's first
//! sample reaches the session's sink (the write's return plus the stream's latency, as
//! PulseAudio reports it); tone out = when the player hands it to the output (a desk's own
//! output buffer, ~30 ms with the viewer's settings, comes on top). Then bytes per second
//! towards the viewer while a tone plays and while the session is silent, and the CPU of the
//! session process and its sound server.
//!
//! Run with the binaries it starts built in the same profile: `cargo build --release -p
//! wayray-server -p wayray-client -p wayray-ctl && cargo bench -p wayray-tests --bench audio`.
//! `WAYRAY_BENCH_SECS` sets the seconds of bursts per link (default 30), `WAYRAY_BENCH_LINK`
//! runs only the links whose name contains it, `WAYRAY_BENCH_SOUND_SERVER=pipewire` gives the
//! sessions PipeWire instead of PulseAudio. First, the sound server's start (20 starts: until
//! its socket takes connections) and its resident memory.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use libpulse_binding::def::BufferAttr;
use libpulse_binding::sample::{Format, Spec};
use libpulse_binding::stream::Direction;
use libpulse_simple_binding::Simple;
use wayray_client::Viewer;
use wayray_client::audio::{AudioOutput, AudioPlayer};
use wayray_server::session::audio::{SoundServer, SoundServerKind};
use wayray_tests::daemon::Daemon;
use wayray_tests::relay::{Shape, start_shaped};

const CHUNK: usize = 480;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The session's sound server socket.
fn pulse_server(daemon: &Daemon) -> String {
    let dirs = daemon.sound_dirs();
    let dir = dirs.first().expect("the session's sound server");
    format!("unix:{}", dir.join("native").display())
}

/// A playback stream into the session with a 10 ms buffer.
fn app_stream(server: &str) -> Simple {
    let spec = Spec {
        format: Format::S16le,
        channels: 2,
        rate: 48_000,
    };
    let chunk = (CHUNK * 4) as u32;
    let attr = BufferAttr {
        maxlength: u32::MAX,
        tlength: chunk,
        prebuf: chunk,
        minreq: chunk,
        fragsize: u32::MAX,
    };
    Simple::new(
        Some(server),
        "bench",
        Direction::Playback,
        None,
        "tone",
        &spec,
        None,
        Some(&attr),
    )
    .expect("a stream into the session")
}

fn tone_chunk(phase: &mut usize, loud: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(CHUNK * 4);
    for _ in 0..CHUNK {
        let v = if loud {
            (8000.0 * (2.0 * std::f64::consts::PI * 1000.0 * *phase as f64 / 48_000.0).sin()) as i16
        } else {
            0
        };
        *phase += 1;
        out.extend_from_slice(&v.to_le_bytes());
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Plays bursts for `secs`; returns when each burst's first sample reached the sink.
fn play_bursts(server: &str, secs: u64) -> Vec<Instant> {
    let stream = app_stream(server);
    let mut phase = 0;
    let mut onsets = Vec::new();
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        for i in 0..40 {
            let loud = i < 10;
            stream.write(&tone_chunk(&mut phase, loud)).expect("write");
            if i == 0 {
                let latency = stream.get_latency().map_or(0, |l| l.0);
                let after =
                    Duration::from_micros(latency).saturating_sub(Duration::from_millis(10));
                onsets.push(Instant::now() + after);
            }
        }
    }
    let _ = stream.drain();
    onsets
}

/// Plays a continuous tone for `secs`.
fn play_tone(server: &str, secs: u64) {
    let stream = app_stream(server);
    let mut phase = 0;
    for _ in 0..secs * 100 {
        stream.write(&tone_chunk(&mut phase, true)).expect("write");
    }
    let _ = stream.drain();
}

/// CPU seconds (user + system) of the processes whose command line contains `needle`.
fn cpu_seconds(pids: &[u32]) -> f64 {
    let ticks = 100.0;
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .map(|stat| {
            let fields: Vec<&str> = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect();
            let t = |i: usize| {
                fields
                    .get(i)
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(0.0)
            };
            (t(11) + t(12)) / ticks
        })
        .sum()
}

fn sound_server_pids(server: &str) -> Vec<u32> {
    let dir = server
        .trim_start_matches("unix:")
        .trim_end_matches("/native");
    wayray_tests::programs::sound_server_pids(std::path::Path::new(dir))
}

/// Starts a sound server of `kind` 20 times: how long until it listens, and the resident
/// memory of its processes.
fn start_times(kind: SoundServerKind) {
    let dir = wayray_tests::runtime_dir::RuntimeDir::new("bench-sound").expect("dir");
    let mut times = Vec::new();
    let mut rss = Vec::new();
    for run in 0..20 {
        let path = dir.path().join(format!("wayray-sound-{run}"));
        let start = Instant::now();
        let server = SoundServer::start(&path, kind).expect("sound server starts");
        times.push(start.elapsed().as_secs_f64() * 1e3);
        std::thread::sleep(Duration::from_millis(300));
        let pids = wayray_tests::programs::sound_server_pids(&path);
        rss.push(
            pids.iter()
                .map(|p| wayray_tests::programs::rss_kib(*p))
                .sum::<u64>() as f64
                / 1024.0,
        );
        drop(server);
    }
    times.sort_by(f64::total_cmp);
    rss.sort_by(f64::total_cmp);
    println!(
        "{} start: p50 {:.1} ms, max {:.1} ms; resident p50 {:.1} MB",
        kind.name(),
        percentile(&times, 0.5),
        times[times.len() - 1],
        percentile(&rss, 0.5),
    );
}

/// A viewer through `via` whose sound goes to `output`.
fn listen(
    rt: &tokio::runtime::Runtime,
    daemon: &Daemon,
    token: &str,
    via: std::net::SocketAddr,
    output: &AudioOutput,
) -> (Viewer, Arc<AudioPlayer>) {
    let player = AudioPlayer::start(output).expect("player");
    let mut options = daemon.viewer_options(token);
    options.server = via;
    options.audio = Some(player.clone());
    let viewer = rt
        .block_on(Viewer::connect(&options))
        .expect("viewer attaches");
    (viewer, player)
}

fn main() {
    let secs: u64 = std::env::var("WAYRAY_BENCH_SECS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(30);
    let log = std::env::var("WAYRAY_BENCH_LOG").unwrap_or_else(|_| "warn".into());
    let kind = match std::env::var("WAYRAY_BENCH_SOUND_SERVER").as_deref() {
        Ok("pipewire") => SoundServerKind::Pipewire,
        _ => SoundServerKind::Pulseaudio,
    };
    start_times(kind);
    let keys = format!("sound_server = {:?}", kind.name());
    let daemon =
        Daemon::start_logged_with_session_keys("bench-audio", &keys, &log).expect("daemon");
    let (_, token) = daemon.issue_token();
    daemon.view_first_frame(&token);
    let server = pulse_server(&daemon);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // WAYRAY_BENCH_LINK picks the links whose name contains it (all by default).
    let only = std::env::var("WAYRAY_BENCH_LINK").unwrap_or_default();
    let links = [
        ("loopback", Shape::default()),
        (
            "5 % loss each way",
            Shape {
                loss: 0.05,
                ..Shape::default()
            },
        ),
        (
            "25 ms each way, 5 % loss",
            Shape {
                delay: Duration::from_millis(25),
                loss: 0.05,
                ..Shape::default()
            },
        ),
    ];
    println!(
        "audio: tone in (session sink) → tone out (viewer's player), {secs} s of bursts per link"
    );
    for (name, shape) in links.into_iter().filter(|(name, _)| name.contains(&only)) {
        let relay = rt.block_on(start_shaped(daemon.addr, shape));
        let heard: Arc<Mutex<(Vec<Instant>, Option<Instant>)>> = Arc::default();
        let record = heard.clone();
        let output = AudioOutput::Callback(Arc::new(move |pcm: &[i16]| {
            let loud = pcm.iter().any(|s| s.unsigned_abs() > 2000);
            let now = Instant::now();
            if let Ok(mut h) = record.lock() {
                if loud {
                    if h.1
                        .is_none_or(|last| now - last > Duration::from_millis(200))
                    {
                        h.0.push(now);
                    }
                    h.1 = Some(now);
                }
            }
        }));
        let (viewer, player) = listen(&rt, &daemon, &token, relay.addr, &output);
        std::thread::sleep(Duration::from_millis(500));
        let sent = play_bursts(&server, secs);
        std::thread::sleep(Duration::from_millis(500));
        let out = heard.lock().unwrap().0.clone();
        // Each burst with the first onset heard after it (within 300 ms, less than the gap to
        // the next burst).
        let mut latencies: Vec<f64> = sent
            .iter()
            .filter_map(|s| {
                out.iter()
                    .find(|o| **o > *s && **o - *s < Duration::from_millis(300))
                    .map(|o| (*o - *s).as_secs_f64() * 1e3)
            })
            .collect();
        let first_half: Vec<f64> = latencies[..latencies.len() / 2].to_vec();
        let second_half: Vec<f64> = latencies[latencies.len() / 2..].to_vec();
        let median = |v: &[f64]| {
            let mut v = v.to_vec();
            v.sort_by(f64::total_cmp);
            percentile(&v, 0.5)
        };
        latencies.sort_by(f64::total_cmp);
        let stats = player.stats();
        println!(
            "  {name}: {} of {} bursts heard; latency p50 {:.1} ms, p90 {:.1}, p99 {:.1}, max {:.1}; \
             first half p50 {:.1}, second half p50 {:.1}; packets {} concealed {} dropped {}",
            latencies.len(),
            sent.len(),
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.9),
            percentile(&latencies, 0.99),
            latencies.last().copied().unwrap_or(0.0),
            median(&first_half),
            median(&second_half),
            stats.packets,
            stats.concealed,
            stats.dropped,
        );
        drop(viewer);
        player.finish();
        daemon.wait_sessions("detached", |s| s[0]["state"] == "detached");
    }

    // Bytes and CPU, playing and silent, on loopback.
    let relay = rt.block_on(start_shaped(daemon.addr, Shape::default()));
    let output = AudioOutput::Callback(Arc::new(|_: &[i16]| {}));
    let (viewer, _player) = listen(&rt, &daemon, &token, relay.addr, &output);
    std::thread::sleep(Duration::from_secs(1));
    let mut pids = daemon.session_pids();
    pids.extend(sound_server_pids(&server));
    let phase = |what: &str, run: &dyn Fn()| {
        let (down0, up0) = relay.bytes.get();
        let cpu0: Vec<f64> = pids.iter().map(|p| cpu_seconds(&[*p])).collect();
        let start = Instant::now();
        run();
        let elapsed = start.elapsed().as_secs_f64();
        let (down1, up1) = relay.bytes.get();
        let cpu: Vec<String> = pids
            .iter()
            .zip(&cpu0)
            .map(|(p, c0)| format!("{:.1}", (cpu_seconds(&[*p]) - c0) / elapsed * 100.0))
            .collect();
        println!(
            "  {what}: {:.1} kB/s to the viewer, {:.1} kB/s back; CPU % of a core (session, sound server): {}",
            (down1 - down0) as f64 / elapsed / 1e3,
            (up1 - up0) as f64 / elapsed / 1e3,
            cpu.join(", "),
        );
    };
    phase("silent 10 s", &|| {
        std::thread::sleep(Duration::from_secs(10))
    });
    phase("1 kHz tone 10 s", &|| play_tone(&server, 10));
    println!("  sound processes measured: {pids:?}");
    drop(viewer);
}
