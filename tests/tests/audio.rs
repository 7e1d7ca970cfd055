//! The session's sound at the desk: a real sound server per session (PulseAudio, or PipeWire
//! with wireplumber and pipewire-pulse), an app playing a tone with `paplay` inside the
//! session, Opus over QUIC datagrams, and the headless viewer's `--audio-out` WAV checked for
//! the tone's frequency and length; the desk's microphone recorded in the session.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use wayray_tests::daemon::Daemon;
use wayray_tests::programs::{require, sound_server_pids, workspace_binary};
use wayray_tests::tone;

/// The sound server a test's sessions run.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Pulseaudio,
    Pipewire,
}

impl Kind {
    /// How many processes its server is.
    fn processes(self) -> usize {
        match self {
            Kind::Pulseaudio => 1,
            Kind::Pipewire => 3,
        }
    }

    /// A daemon whose sessions run this sound server; `None` (a skip, or under CI a
    /// failure) where it is not installed.
    fn daemon(self, label: &str) -> Option<Daemon> {
        match self {
            Kind::Pulseaudio => {
                require("pulseaudio")?;
                Daemon::start(label, "auto_create = false")
            }
            Kind::Pipewire => {
                for program in ["pipewire", "wireplumber", "pipewire-pulse"] {
                    require(program)?;
                }
                Daemon::start_with_session_keys(label, "sound_server = \"pipewire\"")
            }
        }
    }
}

/// The session's id, once its viewer is attached.
fn attached_session(daemon: &Daemon) -> String {
    daemon.wait_sessions("an attached session", |s| {
        s.len() == 1 && s[0]["state"] == "attached"
    });
    daemon.sessions()[0]["id"]
        .to_string()
        .trim_matches('"')
        .to_owned()
}

/// Plays `file` in the session with `paplay` (started like any app of the session).
fn play_in_session(daemon: &Daemon, id: &str, paplay: &Path, file: &Path) {
    let started = daemon.ctl_json(&[
        "session",
        "run",
        id,
        "--",
        paplay.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert!(started["pid"].as_u64().is_some(), "{started}");
}

#[test]
fn a_tone_played_in_the_session_is_what_the_viewer_records() {
    tone_is_recorded(Kind::Pulseaudio, "audio-tone");
}

#[test]
fn a_tone_played_in_a_pipewire_session_is_what_the_viewer_records() {
    tone_is_recorded(Kind::Pipewire, "audio-tone-pw");
}

fn tone_is_recorded(kind: Kind, label: &str) {
    let Some(paplay) = require("paplay") else {
        return;
    };
    let Some(daemon) = kind.daemon(label) else {
        return;
    };
    let (_, token) = daemon.issue_token();
    let Some((mut viewer, report, _)) = daemon.reporting_viewer(&token, 5_000) else {
        return;
    };
    let wav = daemon.dir.path().join("heard.wav");
    let mut viewer = viewer
        .arg("--audio-out")
        .arg(&wav)
        .spawn()
        .expect("viewer starts");
    let id = attached_session(&daemon);

    // The session's sound server: a private socket directory, PULSE_SERVER for its apps.
    let dirs = daemon.sound_dirs();
    assert_eq!(dirs.len(), 1, "one sound server per session: {dirs:?}");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&dirs[0]).unwrap().permissions(),
    );
    assert_eq!(
        mode & 0o777,
        0o700,
        "the sound server's directory is private"
    );

    // A second of silence first: it costs nothing on the wire.
    std::thread::sleep(Duration::from_millis(1_000));
    let sound = |id: &str| daemon.ctl_json(&["session", "show", id])["sound"].clone();
    assert_eq!(sound(&id)["playing"], false, "{}", sound(&id));
    let tone_file = daemon.dir.path().join("tone.wav");
    tone::write_tone(&tone_file, 1_000.0, 1.0, 8_000.0);
    play_in_session(&daemon, &id, &paplay, &tone_file);
    // While the tone plays (and a second after), the session says so, in JSON and as text.
    let playing = wayray_tests::wait::poll_until(Duration::from_secs(3), || {
        let shown =
            String::from_utf8_lossy(&daemon.ctl(&["session", "show", &id]).stdout).into_owned();
        if sound(&id)["playing"] == true && shown.contains("sound        playing, microphone off") {
            Ok(())
        } else {
            Err(shown)
        }
    });
    assert!(playing.is_ok(), "{playing:?}");
    let status = viewer.wait().expect("viewer ends");
    assert!(status.success(), "viewer failed:\n{}", daemon.logs());

    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("JSON");
    let audio = &report["audio"];
    let packets = audio["packets"].as_u64().expect("audio packets");
    // 1 s of tone is 100 packets of 10 ms; the silence around it sends none.
    assert!((95..=110).contains(&packets), "{report}");
    assert!(audio["bytes"].as_u64().unwrap() < 20_000, "{report}");

    let (rate, channels, left) = tone::read_left(&wav);
    assert_eq!((rate, channels), (48_000, 2));
    let secs = left.len() as f64 / f64::from(rate);
    assert!(
        (0.95..=1.1).contains(&secs),
        "recorded {secs:.3} s of a 1 s tone: {report}"
    );
    let middle = &left[left.len() / 4..left.len() * 3 / 4];
    let freq = tone::dominant_frequency(middle, rate, 900..=1100);
    assert!(
        (990..=1010).contains(&freq),
        "{kind:?}: dominant frequency {freq} Hz"
    );
    let peak = middle.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    assert!(
        (6_000..=10_000).contains(&peak),
        "peak {peak} for a tone of 8000"
    );

    // The sound server ends with its session and leaves nothing behind.
    let running = sound_server_pids(&dirs[0]);
    assert_eq!(running.len(), kind.processes(), "{kind:?}: {running:?}");
    daemon.ctl_json(&["session", "kill", &id]);
    let gone = wayray_tests::wait::poll_until(Duration::from_secs(10), || {
        let left = sound_server_pids(&dirs[0]);
        if daemon.sound_dirs().is_empty() && left.is_empty() {
            Ok(())
        } else {
            Err(left)
        }
    });
    assert!(
        gone.is_ok(),
        "the sound server outlived its session: {gone:?}"
    );
}

#[test]
fn only_a_viewer_that_plays_audio_gets_datagrams() {
    let (Some(paplay), Some(_)) = (require("paplay"), require("pulseaudio")) else {
        return;
    };
    let Some(daemon) = Daemon::start("audio-caps", "auto_create = false") else {
        return;
    };
    let (_, token) = daemon.issue_token();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let tone_file = daemon.dir.path().join("tone.wav");
    tone::write_tone(&tone_file, 440.0, 1.0, 8_000.0);
    let heard = daemon.dir.path().join("heard.wav");
    let player =
        wayray_client::audio::AudioPlayer::start(&wayray_client::audio::AudioOutput::Wav(heard))
            .expect("player");
    for plays in [false, true] {
        let mut options = daemon.viewer_options(&token);
        options.audio = plays.then(|| player.clone());
        let viewer = runtime
            .block_on(wayray_client::Viewer::connect(&options))
            .expect("viewer connects");
        let id = attached_session(&daemon);
        play_in_session(&daemon, &id, &paplay, &tone_file);
        std::thread::sleep(Duration::from_millis(1_500));
        let datagrams = viewer.datagrams_received();
        if plays {
            assert!(
                datagrams >= 90,
                "{datagrams} datagrams for a second of sound"
            );
        } else {
            assert_eq!(datagrams, 0, "a viewer without audio got datagrams");
        }
        drop(viewer);
        daemon.wait_sessions("detached", |s| s[0]["state"] == "detached");
    }
    assert!(player.stats().played >= 90, "{:?}", player.stats());
}

#[test]
fn a_session_without_a_sound_server_still_runs() {
    let Some(server) = workspace_binary("wayray-server") else {
        return;
    };
    let dir = wayray_tests::runtime_dir::RuntimeDir::new("audio-none").expect("dir");
    let shot = dir.path().join("shot.png");
    // No pulseaudio on this PATH.
    let out = Command::new(server)
        .args([
            "session",
            "--audio",
            "--exit-after-ms",
            "500",
            "--screenshot",
        ])
        .arg(&shot)
        .env("XDG_RUNTIME_DIR", dir.path())
        .env("PATH", dir.path())
        .env("RUST_LOG", "info")
        .output()
        .expect("session runs");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(shot.is_file(), "{log}");
    assert!(log.contains("the session has no sound"), "{log}");
    assert!(log.contains("pulseaudio is not installed"), "{log}");
}

#[test]
fn the_desks_microphone_is_what_the_sessions_apps_record() {
    microphone_is_recorded(Kind::Pulseaudio, "audio-mic");
}

#[test]
fn the_desks_microphone_reaches_a_pipewire_session() {
    microphone_is_recorded(Kind::Pipewire, "audio-mic-pw");
}

fn microphone_is_recorded(kind: Kind, label: &str) {
    let (Some(paplay), Some(timeout)) = (require("paplay"), require("timeout")) else {
        return;
    };
    let Some(parec) = require("parec") else {
        return;
    };
    let Some(daemon) = kind.daemon(label) else {
        return;
    };
    let Some(desk) = wayray_tests::desk_sound::DeskSound::start(&daemon.dir.path().join("desk"))
    else {
        return;
    };
    let (_, token) = daemon.issue_token();
    let Some((mut viewer, _, _)) = daemon.reporting_viewer(&token, 6_000) else {
        return;
    };
    let viewer = viewer
        .arg("--microphone")
        .env("PULSE_SERVER", desk.pulse_server())
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("viewer starts");
    let id = attached_session(&daemon);
    // An application of the session records its default source, the desk's microphone.
    let recorded = daemon.dir.path().join("recorded.raw");
    let started = daemon.ctl_json(&[
        "session",
        "run",
        &id,
        "--",
        timeout.to_str().unwrap(),
        "3",
        parec.to_str().unwrap(),
        "--raw",
        "--format=s16le",
        "--rate=48000",
        "--channels=2",
        recorded.to_str().unwrap(),
    ]);
    assert!(started["pid"].as_u64().is_some(), "{started}");
    std::thread::sleep(Duration::from_millis(500));
    // The desk hears a 700 Hz tone.
    let tone_file = daemon.dir.path().join("tone.wav");
    tone::write_tone(&tone_file, 700.0, 1.0, 8_000.0);
    let played = Command::new(&paplay)
        .arg(&tone_file)
        .env("PULSE_SERVER", desk.pulse_server())
        .status()
        .expect("paplay runs");
    assert!(played.success());
    let shown = daemon.ctl_json(&["session", "show", &id]);
    assert_eq!(shown["sound"]["microphone"], true, "{shown}");
    let out = viewer.wait_with_output().expect("viewer ends");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}\n{}", daemon.logs());
    assert!(said.contains("the microphone is live"), "{said}");

    // Raw samples: 48 kHz, stereo, 16-bit little-endian.
    let rate = 48_000;
    let left: Vec<i16> = std::fs::read(&recorded)
        .expect("the session recorded")
        .chunks_exact(4)
        .map(|frame| i16::from_le_bytes([frame[0], frame[1]]))
        .collect();
    let loud: Vec<i16> = left
        .iter()
        .copied()
        .filter(|s| s.unsigned_abs() > 1000)
        .collect();
    let secs = loud.len() as f64 / f64::from(rate);
    assert!(
        secs > 0.3,
        "the session heard {secs:.2} s of loud sound: {said}\n{}",
        daemon.logs()
    );
    let start = left
        .iter()
        .position(|s| s.unsigned_abs() > 4000)
        .expect("a loud sample");
    let window = &left[start..(start + 24_000).min(left.len())];
    let freq = tone::dominant_frequency(window, rate, 600..=800);
    assert!(
        (690..=710).contains(&freq),
        "{kind:?}: dominant frequency {freq} Hz"
    );
}
