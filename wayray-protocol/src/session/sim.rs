//! A simulated connection: a [`ViewerConnection`] and a [`ServerConnection`] driven against
//! each other with simulated time, latency, jitter, loss and reordering, and a tiny simulated
//! session behind the server (a screen of cells; frames carry the changed cells, keyframes
//! all of them). Tests, property tests and the fuzz target use it to check that, whatever
//! happens on the way, the viewer's picture ends up equal to the session's screen.
//!
//! The network is modelled as QUIC behaves: the control and input streams are reliable and
//! ordered (a lost packet delays everything behind it until it is resent), each display
//! message has its own stream (so frames overtake each other), and a display stream can be
//! dropped outright or arrive corrupt on purpose, to exercise recovery.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use super::{Close, ServerConfig, ServerConnection, ServerEvent, ViewerConfig};
use super::{ViewerConnection, ViewerEvent};
use crate::framing::{LENGTH_PREFIX, encode_frame_to_vec};
use crate::messages::control::{DisconnectReason, OutputMode};
use crate::messages::display::FrameUpdate;
use crate::messages::input::{ButtonState, InputMessage, Key};
use crate::secret::Token;
use crate::{ControlMessage, DisplayMessage};

/// Cells on the simulated screen.
pub const CELLS: usize = 16;

/// How the simulated network behaves, each way.
#[derive(Clone, Copy, Debug, Default)]
pub struct Network {
    /// One-way delay.
    pub latency: Duration,
    /// Extra random delay, up to this much per message.
    pub jitter: Duration,
    /// Chance (0 to 1) that a message's packet is lost once and resent a round trip later.
    pub loss: f64,
}

/// One step of a scripted or generated run.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// The session's screen changes: `cell` gets `value`.
    Damage {
        /// Which cell (modulo [`CELLS`]).
        cell: usize,
        /// Its new value.
        value: u8,
    },
    /// Time passes, delivering what is due.
    Advance(Duration),
    /// The viewer asks for another output size.
    Resize(u32, u32),
    /// The viewer asks for a keyframe itself.
    RequestKeyframe,
    /// The viewer sends a key press.
    Key(u32),
    /// The next frame's display stream never arrives.
    DropNextFrame,
    /// The next frame arrives but does not decode.
    CorruptNextFrame,
}

impl Op {
    /// Operations from arbitrary bytes (three bytes each), for fuzzing.
    pub fn parse(data: &[u8]) -> Vec<Op> {
        data.chunks_exact(3)
            .map(|c| match c[0] % 8 {
                0 | 1 => Op::Damage {
                    cell: usize::from(c[1]),
                    value: c[2],
                },
                2 | 3 => Op::Advance(Duration::from_millis(u64::from(c[1]) * 4)),
                4 => Op::Resize(u32::from(c[1]) * 64 + 1, u32::from(c[2]) * 64 + 1),
                5 => Op::Key(u32::from(c[1])),
                6 if c[1] % 2 == 0 => Op::DropNextFrame,
                6 => Op::CorruptNextFrame,
                _ => Op::RequestKeyframe,
            })
            .collect()
    }
}

#[derive(Debug)]
enum Delivery {
    Hello(Vec<u8>),
    ToServer(ControlMessage),
    Input(InputMessage),
    ToViewer(ControlMessage),
    Display(DisplayMessage, u64),
}

/// The pair, its network and the simulated session.
#[derive(Debug)]
pub struct Pair {
    /// Simulated time.
    pub now: Instant,
    /// The viewer's machine.
    pub viewer: ViewerConnection,
    /// The server's machine.
    pub server: ServerConnection,
    /// Network conditions.
    pub network: Network,
    rng: u64,
    queue: BTreeMap<(Instant, u64), Delivery>,
    order: u64,
    /// Last delivery time per ordered stream: to server, to viewer, input.
    ordered: [Instant; 3],
    next_stream: u64,
    hello_sent: bool,
    /// The session's screen.
    pub screen: [u8; CELLS],
    dirty: [bool; CELLS],
    keyframe_wanted: bool,
    next_sequence: u64,
    contents: HashMap<u64, Vec<(usize, u8)>>,
    drop_next: bool,
    corrupt_next: bool,
    corrupt: Vec<u64>,
    /// What the viewer shows.
    pub picture: [u8; CELLS],
    /// What happened, for assertions.
    pub log: Log,
}

/// Counters and outcomes of a run.
#[derive(Clone, Debug, Default)]
pub struct Log {
    /// Frames the server sent, keyframes among them.
    pub frames_sent: u64,
    /// Keyframes sent.
    pub keyframes_sent: u64,
    /// Frames the viewer applied.
    pub frames_applied: u64,
    /// Keyframe requests the session acted on.
    pub keyframe_requests: u64,
    /// Resizes the session applied.
    pub resizes: Vec<OutputMode>,
    /// Input events the session received.
    pub inputs: u64,
    /// Largest number of frames in flight seen.
    pub max_in_flight: usize,
    /// How the viewer's side ended, if it did.
    pub viewer_closed: Option<Close>,
    /// How the server's side ended, if it did.
    pub server_closed: Option<Close>,
    /// When the viewer applied its first frame.
    pub first_frame: Option<Instant>,
}

impl Pair {
    /// A viewer connecting to a server over `network` at simulated time `start` (the caller's
    /// clock: the simulation reads none), with randomness from `seed`. The
    /// simulated network can lose display messages ([`Op::DropNextFrame`]), so both sides
    /// detect lost frames: the viewer after a 200 ms gap, the server after 2 s without an
    /// acknowledgement (where `server` sets no other). The viewer holds a frame's
    /// acknowledgement for up to 250 ms, as the QUIC viewer does.
    pub fn new(start: Instant, seed: u64, network: Network, mut server: ServerConfig) -> Self {
        let now = start;
        server.ack_timeout = server.ack_timeout.or(Some(Duration::from_secs(2)));
        let mut config = ViewerConfig::new(Token::new("sim-token".into()));
        config.gap_timeout = Some(Duration::from_millis(200));
        // As the QUIC viewer does: one frame's acknowledgement waits for the next.
        config.ack_hold = Some(Duration::from_millis(250));
        config.preferred_mode = Some(OutputMode {
            width: 640,
            height: 480,
            scale_120: 120,
        });
        Self {
            now,
            viewer: ViewerConnection::new(now, config),
            server: ServerConnection::new(now, server),
            network,
            rng: seed | 1,
            queue: BTreeMap::new(),
            order: 0,
            ordered: [now; 3],
            next_stream: 0,
            hello_sent: false,
            screen: [0; CELLS],
            dirty: [false; CELLS],
            keyframe_wanted: true,
            next_sequence: 1,
            contents: HashMap::new(),
            drop_next: false,
            corrupt_next: false,
            corrupt: Vec::new(),
            picture: [0; CELLS],
            log: Log::default(),
        }
    }

    /// Applies one operation, then lets both sides react.
    pub fn apply(&mut self, op: &Op) {
        match *op {
            Op::Damage { cell, value } => {
                let cell = cell % CELLS;
                self.screen[cell] = value;
                self.dirty[cell] = true;
            }
            Op::Advance(d) => return self.run_for(d),
            Op::Resize(w, h) => {
                let mode = OutputMode {
                    width: w,
                    height: h,
                    scale_120: 120,
                };
                self.viewer.resize(self.now, mode);
            }
            Op::RequestKeyframe => self.viewer.request_keyframe(self.now),
            // A viewer opens its input stream once attached.
            Op::Key(_) if !self.viewer.is_attached() => {}
            Op::Key(code) => {
                let key = InputMessage::Key(Key {
                    time_ms: 0,
                    code,
                    state: ButtonState::Pressed,
                });
                self.send(2, Delivery::Input(key));
            }
            Op::DropNextFrame => self.drop_next = true,
            Op::CorruptNextFrame => self.corrupt_next = true,
        }
        self.pump();
    }

    /// Runs until `d` of simulated time has passed.
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        self.pump();
        loop {
            let next_delivery = self.queue.keys().next().map(|(t, _)| *t);
            let next = [
                next_delivery,
                self.viewer.poll_timeout(),
                self.server.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    self.step();
                }
                _ => break,
            }
        }
        self.now = end;
        self.step();
    }

    /// Runs until nothing is left to deliver or send and the viewer shows the screen, or
    /// `limit` has passed.
    pub fn settle(&mut self, limit: Duration) {
        let end = self.now + limit;
        while self.now < end {
            self.run_for(Duration::from_millis(50));
            let quiet = self.queue.is_empty() && !self.dirty.contains(&true);
            let idle = !self.keyframe_wanted && self.server.window().in_flight() == 0;
            if quiet && idle && self.picture == self.screen {
                return;
            }
        }
    }

    fn step(&mut self) {
        let now = self.now;
        while let Some(entry) = self.queue.first_entry() {
            if entry.key().0 > now {
                break;
            }
            match entry.remove() {
                Delivery::Hello(body) => self.server.handle_hello(now, &body),
                Delivery::ToServer(msg) => self.server.handle_message(now, msg),
                Delivery::Input(msg) => self.server.handle_input(now, msg),
                Delivery::ToViewer(msg) => self.viewer.handle_message(now, msg),
                Delivery::Display(msg, stream) => self.viewer.handle_display(now, msg, stream),
            }
            self.pump();
        }
        if self.viewer.poll_timeout().is_some_and(|t| t <= now) {
            self.viewer.handle_timeout(now);
        }
        if self.server.poll_timeout().is_some_and(|t| t <= now) {
            self.server.handle_timeout(now);
        }
        self.pump();
    }

    /// Moves everything both machines want sent onto the network and acts on their events.
    fn pump(&mut self) {
        loop {
            let mut progress = false;
            while let Some(msg) = self.viewer.poll_transmit() {
                progress = true;
                let delivery = match (&msg, self.hello_sent) {
                    (ControlMessage::Hello(_), false) => {
                        self.hello_sent = true;
                        let framed = encode_frame_to_vec(&msg).expect("hello encodes");
                        Delivery::Hello(framed[LENGTH_PREFIX..].to_vec())
                    }
                    _ => Delivery::ToServer(msg),
                };
                self.send(0, delivery);
            }
            while let Some(msg) = self.server.poll_transmit() {
                progress = true;
                self.send(1, Delivery::ToViewer(msg));
            }
            while let Some(event) = self.server.poll_event() {
                progress = true;
                self.server_event(event);
            }
            while let Some(event) = self.viewer.poll_event() {
                progress = true;
                self.viewer_event(event);
            }
            progress |= self.send_frame();
            if !progress {
                return;
            }
        }
    }

    fn server_event(&mut self, event: ServerEvent) {
        match event {
            ServerEvent::AttachRequested(attach) => {
                let mode = attach.preferred_mode.unwrap_or(OutputMode {
                    width: 320,
                    height: 200,
                    scale_120: 120,
                });
                self.server.accept("sim".into(), mode, None);
            }
            ServerEvent::LoginRequested(login) => {
                let mode = login.preferred_mode.unwrap_or(OutputMode {
                    width: 320,
                    height: 200,
                    scale_120: 120,
                });
                let token = Token::new(format!("desk-{}", login.user));
                self.server.accept("sim".into(), mode, Some(token));
            }
            ServerEvent::KeyframeRequested => {
                self.log.keyframe_requests += 1;
                self.keyframe_wanted = true;
            }
            ServerEvent::Resize(mode) => self.log.resizes.push(mode),
            ServerEvent::FrameAcked(_) | ServerEvent::Refresh(_) => {}
            ServerEvent::Input(_) => self.log.inputs += 1,
            ServerEvent::Closed(close) => self.log.server_closed = Some(close),
        }
    }

    fn viewer_event(&mut self, event: ViewerEvent) {
        match event {
            ViewerEvent::Frame(frame) | ViewerEvent::FrameAhead(frame) => {
                let seq = frame.sequence;
                if self.corrupt.contains(&seq) {
                    return self.viewer.frame_failed(self.now, seq);
                }
                for &(cell, value) in self.contents.get(&seq).into_iter().flatten() {
                    self.picture[cell] = value;
                }
                self.log.frames_applied += 1;
                self.log.first_frame.get_or_insert(self.now);
                self.viewer.frame_applied(self.now, seq, frame.keyframe);
            }
            ViewerEvent::Closed(close) => self.log.viewer_closed = Some(close),
            ViewerEvent::Connected(_)
            | ViewerEvent::Attached(_)
            | ViewerEvent::Cursor(_)
            | ViewerEvent::Redirected(_)
            | ViewerEvent::Notice(_) => {}
        }
    }

    /// The simulated session sends a frame when it has something and the window allows.
    fn send_frame(&mut self) -> bool {
        let keyframe = self.keyframe_wanted;
        if !(keyframe || self.dirty.contains(&true)) || !self.server.can_send_frame(keyframe) {
            return false;
        }
        let cells: Vec<(usize, u8)> = (0..CELLS)
            .filter(|&c| keyframe || self.dirty[c])
            .map(|c| (c, self.screen[c]))
            .collect();
        self.dirty = [false; CELLS];
        self.keyframe_wanted = false;
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        self.contents.insert(sequence, cells);
        self.server.frame_sent(self.now, sequence, keyframe);
        self.log.frames_sent += 1;
        self.log.keyframes_sent += u64::from(keyframe);
        self.log.max_in_flight = self.log.max_in_flight.max(self.server.window().in_flight());
        if std::mem::take(&mut self.corrupt_next) {
            self.corrupt.push(sequence);
        }
        let update = FrameUpdate {
            sequence,
            output_width: 1,
            output_height: 1,
            keyframe,
            regions: Vec::new(),
        };
        let stream = self.next_stream;
        self.next_stream += 1;
        if !std::mem::take(&mut self.drop_next) {
            let msg = DisplayMessage::FrameUpdate(update);
            self.send(3, Delivery::Display(msg, stream));
        }
        true
    }

    /// Schedules a delivery on stream class `ordered` (0 to server, 1 to viewer, 2 input,
    /// 3 a display stream of its own).
    fn send(&mut self, ordered: usize, delivery: Delivery) {
        let mut delay = self.network.latency;
        if !self.network.jitter.is_zero() {
            let nanos = self.network.jitter.as_nanos() as u64;
            delay += Duration::from_nanos(self.random() % nanos);
        }
        while self.network.loss > 0.0 && self.chance(self.network.loss) {
            delay += 2 * self.network.latency + Duration::from_millis(25);
        }
        let mut at = self.now + delay;
        if let Some(last) = self.ordered.get_mut(ordered) {
            at = at.max(*last);
            *last = at;
        }
        self.order += 1;
        self.queue.insert((at, self.order), delivery);
    }

    fn random(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.random() % 1_000_000) as f64 / 1_000_000.0 < p
    }

    /// Checks what must hold at any time; returns what does not.
    pub fn check(&self) -> Result<(), String> {
        let window = self.server.window();
        if window.in_flight() > window.limit() {
            return Err(format!("{} frames in flight", window.in_flight()));
        }
        for close in [&self.log.viewer_closed, &self.log.server_closed] {
            if let Some(c) = close
                && c.reason == DisconnectReason::ProtocolError
            {
                return Err(format!("protocol error: {}", c.message));
            }
        }
        Ok(())
    }

    /// After [`Pair::settle`]: the viewer shows exactly the session's screen.
    pub fn check_settled(&self) -> Result<(), String> {
        self.check()?;
        if self.picture != self.screen {
            return Err(format!(
                "viewer shows {:?}, session has {:?}",
                self.picture, self.screen
            ));
        }
        Ok(())
    }
}
