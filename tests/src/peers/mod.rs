//! WayRay and the peers it is measured against, run on this machine with the same scripted
//! workloads: WayRay itself ([`wayray`]), wayvnc on a headless sway ([`sway`], read by
//! [`rfb`]) and waypipe with its display side on weston ([`waypipe`]); [`chart`] draws the
//! result. The peers' compositors refuse to run as root, so they run as an unprivileged
//! account the benchmark creates ([`crate::accounts`]).
//!
//! A workload is a shell script foot runs: it waits for a trigger file, does its work and
//! writes a done file, so every stack is measured from a known start to a known end. The drag
//! is the compositor's own work: each stack moves the window its way (sway's IPC, WayRay's
//! Alt+drag), so no stack carries the pointer's motion.

pub mod chart;
pub mod rfb;
pub mod sway;
pub mod waypipe;
pub mod wayray;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::accounts::TestUser;
use crate::load::stat_field;
use crate::programs::pids;

/// One scripted workload, the same text on every stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// 200 characters of text printed one every 100 ms (what a typist's echo draws).
    Typing,
    /// `seq 1 20000`.
    Seq,
    /// Lines printed at about 50 a second for 10 s: the terminal scrolls by a line at a time.
    Scrolling,
    /// An 800×600 foot window (40 lines of `seq`) moved across the screen by the compositor,
    /// 90 steps of (10, 4) pixels at 30 a second ([`drag_path`]).
    Drag,
    /// 10 s of 1920×1080 30 fps video (FFmpeg's testsrc) in mpv, full screen, `--vo=wlshm`.
    Video,
    /// 20 s with nothing happening.
    Idle,
}

impl Workload {
    /// Every workload, in the order of the table.
    pub const ALL: [Self; 6] = [
        Self::Typing,
        Self::Seq,
        Self::Scrolling,
        Self::Drag,
        Self::Video,
        Self::Idle,
    ];

    /// The workloads named in `list` (comma-separated short names: typing, seq, scrolling,
    /// drag, video, idle); all of them for an empty list.
    pub fn chosen(list: &str) -> Vec<Self> {
        let names: Vec<&str> = list
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect();
        Self::ALL
            .into_iter()
            .filter(|w| names.is_empty() || names.contains(&w.short()))
            .collect()
    }

    /// Its short name.
    pub fn short(self) -> &'static str {
        match self {
            Self::Typing => "typing",
            Self::Seq => "seq",
            Self::Scrolling => "scrolling",
            Self::Drag => "drag",
            Self::Video => "video",
            Self::Idle => "idle",
        }
    }

    /// Its name in the table.
    pub fn name(self) -> &'static str {
        match self {
            Self::Typing => "typing 200 characters at 10/s",
            Self::Seq => "`seq 1 20000`",
            Self::Scrolling => "scrolling at 50 lines/s, 10 s",
            Self::Drag => "dragging an 800×600 window, 3 s",
            Self::Video => "video 1080p30, 10 s (mpv)",
            Self::Idle => "idle 20 s",
        }
    }

    /// The shell commands doing the work.
    fn commands(self) -> &'static str {
        match self {
            Self::Typing => {
                "printf '%s' 'the quick brown fox jumps over the lazy dog the quick brown fox \
                 jumps over the lazy dog the quick brown fox jumps over the lazy dog the quick \
                 brown fox jumps over the lazy dog the quick brown fox jumps ove' | fold -w1 | \
                 while IFS= read -r c; do printf '%s' \"$c\"; sleep 0.1; done"
            }
            Self::Seq => "seq 1 20000",
            // The window is moved from outside ([`drag_path`]) while the text stands still.
            Self::Drag => "seq 1 40; sleep 4",
            Self::Scrolling => {
                "i=0; while [ $i -lt 500 ]; do i=$((i+1)); \
                 echo \"$i: the quick brown fox jumps over the lazy dog\"; sleep 0.02; done"
            }
            Self::Video => {
                "mpv --no-config --really-quiet --vo=wlshm --fs --no-audio --hwdec=no \
                 av://lavfi:testsrc=size=1920x1080:rate=30:duration=10"
            }
            Self::Idle => "sleep 20",
        }
    }

    /// The script foot runs: waits for `dir/go`, works, writes `dir/done`, then stays.
    pub fn script(self, dir: &Path) -> String {
        let go = dir.join("go");
        let done = dir.join("done");
        let log = dir.join("work.log");
        format!(
            "while [ ! -e {go:?} ]; do sleep 0.05; done; clear; {{ {work}; }} 2> {log:?}; \
             : > {done:?}; exec sleep 100000",
            work = self.commands()
        )
    }
}

/// foot as every stack runs it: full screen, DejaVu Sans Mono 11 whatever the output's DPI,
/// no blinking cursor, no bell.
pub const FOOT_INI: &str = "font=DejaVu Sans Mono:size=11\ndpi-aware=no\n\
    initial-window-mode=fullscreen\n[cursor]\nblink=no\n[bell]\nurgent=no\nnotify=no\n";

/// foot's configuration for `workload`: full screen ([`FOOT_INI`]), or an 800×600 window for
/// the drag.
pub fn foot_ini(workload: Workload) -> String {
    if workload == Workload::Drag {
        FOOT_INI.replace(
            "initial-window-mode=fullscreen",
            "initial-window-size-pixels=800x600",
        )
    } else {
        FOOT_INI.to_owned()
    }
}

/// Where the dragged window's top-left corner starts on every stack.
pub const DRAG_START: (i32, i32) = (100, 100);

/// The dragged window's top-left corner after each step of the drag: 90 steps of (10, 4)
/// pixels from [`DRAG_START`], one every 33 ms.
pub fn drag_path() -> impl Iterator<Item = (i32, i32)> {
    (1..=90).map(|step| (DRAG_START.0 + 10 * step, DRAG_START.1 + 4 * step))
}

/// What one run of a workload cost on one stack.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cost {
    /// Bytes towards the viewer (desk), the whole run from the connection on.
    pub down: u64,
    /// Bytes from the viewer (desk).
    pub up: u64,
    /// CPU time of the server side over the workload.
    pub server_cpu: Duration,
    /// CPU time of the desk side over the workload (`None` where not measured).
    pub desk_cpu: Option<Duration>,
    /// Frame updates the desk received (`None` where not counted).
    pub updates: Option<u64>,
    /// Pixels where the desk's final picture differs from the server's (`None` where not
    /// checked).
    pub differing: Option<usize>,
}

fn ticks(ticks: u64) -> Duration {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_micros(ticks * 1_000_000 / hz)
}

/// Sum of `/proc/PID/stat` fields `fields` (counted after the command name, as
/// [`crate::load::stat_field`] does: 11 utime, 12 stime, 13 cutime, 14 cstime).
fn stat_sum(pid: u32, fields: std::ops::Range<usize>) -> u64 {
    fields.filter_map(|i| stat_field(pid, i)).sum()
}

fn program_of(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()
}

/// User and system CPU time `pid` has used so far (zero once it is gone).
pub fn cpu_of(pid: u32) -> Duration {
    ticks(stat_sum(pid, 11..13))
}

/// CPU time of `pid`, of its children it reaped, and of its live children running the same
/// program (waypipe serves each Wayland connection in a process of its own).
pub fn cpu_of_family(pid: u32) -> Duration {
    let Some(name) = program_of(pid) else {
        return Duration::ZERO;
    };
    let children: u64 = pids()
        .into_iter()
        .filter(|&child| {
            stat_field(child, 1) == Some(u64::from(pid))
                && program_of(child).as_ref() == Some(&name)
        })
        .map(|child| stat_sum(child, 11..13))
        .sum();
    ticks(stat_sum(pid, 11..15) + children)
}

/// The CPU time of the calling thread so far.
pub fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for clock_gettime to write.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// A private directory of `user` (0700) for sockets, scripts and the trigger files.
pub fn user_dir(user: &TestUser, label: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("wayray-peer-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).expect("peer dir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    std::os::unix::fs::chown(&dir, Some(user.uid), Some(user.gid)).expect("chown");
    dir
}

/// `program` run as `user` with a clean environment: its home, `dir` as the runtime dir, a
/// UTF-8 locale (foot writes a warning into the terminal otherwise); what it prints goes to
/// `dir/NAME.log`.
pub fn as_user(user: &TestUser, dir: &Path, program: &Path) -> Command {
    let mut command = Command::new(program);
    command
        .uid(user.uid)
        .gid(user.gid)
        .env_clear()
        .env("HOME", &user.home)
        .env("USER", &user.name)
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("XDG_RUNTIME_DIR", dir)
        .env("LANG", "C.UTF-8")
        .current_dir(dir)
        .stdin(Stdio::null());
    let name = program
        .file_name()
        .map_or("program".into(), |n| n.to_string_lossy());
    if let Ok(log) = std::fs::File::create(dir.join(format!("{name}.log"))) {
        let copy = log.try_clone();
        command.stdout(log);
        if let Ok(copy) = copy {
            command.stderr(copy);
        }
    }
    command
}

/// Children killed (and reaped) on drop, last started first.
#[derive(Default)]
pub struct Processes(Vec<Child>);

impl Processes {
    /// Starts `command` and keeps it; its pid.
    pub fn spawn(&mut self, mut command: Command) -> u32 {
        let child = command.spawn().expect("peer program starts");
        let pid = child.id();
        self.0.push(child);
        pid
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for child in self.0.iter_mut().rev() {
            // Asked to stop first, so that an X server or a compositor removes its sockets and
            // lock files (Xvfb's `/tmp/.X0-lock` would outlive a killed one); killed if it has
            // not stopped within two seconds.
            // SAFETY: kill(2) on our own child, not reaped yet, so the pid is still its own.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
            while matches!(child.try_wait(), Ok(None)) && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The first entry of `dir` whose name starts with `prefix` and ends with `suffix` (lock
/// files aside).
pub fn entry_named(dir: &Path, prefix: &str, suffix: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with(prefix) && n.ends_with(suffix) && !n.ends_with(".lock")
            })
        })
}

/// Starts the workload (`dir/go`), waits for its end (`dir/done`) and a second more. For the
/// drag, half a second after the start, calls `move_to` with each point of [`drag_path`] (a
/// step every 33 ms), then `move_to(None)` when the drag ends.
pub fn run_workload(dir: &Path, workload: Workload, mut move_to: impl FnMut(Option<(i32, i32)>)) {
    std::fs::write(dir.join("go"), "").expect("go");
    if workload == Workload::Drag {
        std::thread::sleep(Duration::from_millis(500));
        let start = std::time::Instant::now();
        for (step, point) in drag_path().enumerate() {
            move_to(Some(point));
            let next = Duration::from_millis(33 * (step as u64 + 1));
            std::thread::sleep(next.saturating_sub(start.elapsed()));
        }
        move_to(None);
    }
    crate::wait::wait_until("the workload's end", Duration::from_secs(120), || {
        dir.join("done").exists().then_some(())
    });
    std::thread::sleep(Duration::from_secs(1));
}
