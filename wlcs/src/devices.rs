//! The suite's pointers and touch screens: each move, button and touch becomes the input
//! message a viewer would send (output pixels; the suite's output has scale 1).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use wayland_sys::common::{wl_fixed_t, wl_fixed_to_double};
use wayray_protocol::InputMessage;
use wayray_protocol::messages::input::{
    ButtonState, PointerButton, PointerMotion, TouchPoint, TouchUp,
};
use wayray_server::session::SessionCommand;

type Commands = wayray_server::session::CommandSender;

/// Where the devices send their events, and the shared pointer position.
#[derive(Default)]
pub struct Devices {
    commands: Option<Commands>,
    /// One pointer on the seat: every device moves it.
    position: Arc<Mutex<(f64, f64)>>,
    next_touch: u32,
    started: Option<Instant>,
}

impl Devices {
    pub fn new(commands: Commands) -> Self {
        Self {
            commands: Some(commands),
            position: Arc::default(),
            next_touch: 0,
            started: Some(Instant::now()),
        }
    }

    pub fn pointer(&mut self) -> PointerDevice {
        PointerDevice {
            sink: self.sink(),
            position: self.position.clone(),
        }
    }

    pub fn touch(&mut self) -> TouchDevice {
        self.next_touch += 1;
        TouchDevice {
            sink: self.sink(),
            id: self.next_touch,
        }
    }

    fn sink(&self) -> Sink {
        Sink {
            commands: self.commands.clone(),
            started: self.started.unwrap_or_else(Instant::now),
        }
    }
}

/// Sends input messages to the session.
struct Sink {
    commands: Option<Commands>,
    started: Instant,
}

impl Sink {
    fn time_ms(&self) -> u32 {
        self.started.elapsed().as_millis() as u32
    }

    /// Sends `event` and waits until the compositor has applied it: the suite's next request
    /// (a client's round trip) must see its effect.
    fn send(&self, event: InputMessage) {
        if let Some(commands) = &self.commands {
            let _ = commands.send(SessionCommand::Input(event));
            applied(commands);
        }
    }
}

/// Waits until the compositor has carried out every command sent before (its command queue
/// is in order; a statistics request is answered when its turn comes).
pub fn applied(commands: &Commands) {
    let (tx, rx) = std::sync::mpsc::channel();
    if commands.send(SessionCommand::Stats(tx)).is_ok() {
        let _ = rx.recv_timeout(std::time::Duration::from_secs(5));
    }
}

pub struct PointerDevice {
    sink: Sink,
    position: Arc<Mutex<(f64, f64)>>,
}

impl PointerDevice {
    fn move_to(&mut self, x: f64, y: f64) {
        if let Ok(mut position) = self.position.lock() {
            *position = (x, y);
        }
        let time_ms = self.sink.time_ms();
        self.sink
            .send(InputMessage::PointerMotion(PointerMotion { x, y, time_ms }));
    }

    fn button(&mut self, button: i32, state: ButtonState) {
        let time_ms = self.sink.time_ms();
        self.sink.send(InputMessage::PointerButton(PointerButton {
            button: button as u32,
            state,
            time_ms,
        }));
    }
}

impl wlcs::Pointer for PointerDevice {
    fn move_absolute(&mut self, x: wl_fixed_t, y: wl_fixed_t) {
        self.move_to(wl_fixed_to_double(x), wl_fixed_to_double(y));
    }

    fn move_relative(&mut self, dx: wl_fixed_t, dy: wl_fixed_t) {
        let (x, y) = self.position.lock().map(|p| *p).unwrap_or_default();
        self.move_to(x + wl_fixed_to_double(dx), y + wl_fixed_to_double(dy));
    }

    fn button_down(&mut self, button: i32) {
        self.button(button, ButtonState::Pressed);
    }

    fn button_up(&mut self, button: i32) {
        self.button(button, ButtonState::Released);
    }

    fn destroy(&mut self) {}
}

pub struct TouchDevice {
    sink: Sink,
    id: u32,
}

impl TouchDevice {
    /// WLCS 1.5 (Debian 12) hands its touch points over as whole pixels in the `wl_fixed_t`
    /// arguments, not as fixed-point numbers as it does for pointers: taken as fixed, every
    /// touch landed 256 times too close to the output's corner.
    fn point(&self, x: wl_fixed_t, y: wl_fixed_t) -> TouchPoint {
        TouchPoint {
            id: self.id,
            x: f64::from(x),
            y: f64::from(y),
            time_ms: self.sink.time_ms(),
        }
    }
}

impl wlcs::Touch for TouchDevice {
    fn touch_down(&mut self, x: wl_fixed_t, y: wl_fixed_t) {
        self.sink.send(InputMessage::TouchDown(self.point(x, y)));
        self.sink.send(InputMessage::TouchFrame);
    }

    fn touch_move(&mut self, x: wl_fixed_t, y: wl_fixed_t) {
        self.sink.send(InputMessage::TouchMotion(self.point(x, y)));
        self.sink.send(InputMessage::TouchFrame);
    }

    fn touch_up(&mut self) {
        let time_ms = self.sink.time_ms();
        self.sink.send(InputMessage::TouchUp(TouchUp {
            id: self.id,
            time_ms,
        }));
        self.sink.send(InputMessage::TouchFrame);
    }

    fn destroy(&mut self) {}
}
