//! An input method and a text field for tests: input-method-v2 (the input method commits text
//! and may grab the keyboard) and text-input-v3 (the field enables itself when it gets focus
//! and records the text it is given).

use wayland_client::protocol::wl_seat;
use wayland_client::{Connection, Dispatch, QueueHandle};
use wayland_protocols::wp::text_input::zv3::client::{
    zwp_text_input_manager_v3, zwp_text_input_v3,
};
use wayland_protocols_misc::zwp_input_method_v2::client::{
    zwp_input_method_keyboard_grab_v2, zwp_input_method_manager_v2, zwp_input_method_v2,
};

use super::{Events, WlClient};

/// What the input method and the text field were told.
#[derive(Debug, Default)]
pub struct ImeEvents {
    /// The input method is active (a text field has focus and is enabled), as of its last
    /// `done`.
    pub active: bool,
    pending_active: bool,
    /// `done` events the input method received (the serial its commits carry).
    pub done: u32,
    /// Keys the input method's keyboard grab received (evdev code, pressed).
    pub keys: Vec<(u32, bool)>,
    /// Text the field received, one entry per `done` with a commit string. Like foot and GTK,
    /// the field drops what comes with a `done` whose serial is not its own count of commits.
    pub texts: Vec<String>,
    /// `commit` requests the field made.
    pub field_commits: u32,
    pending_text: Option<String>,
}

impl WlClient {
    fn seat(&mut self) -> wl_seat::WlSeat {
        self.globals.bind(&self.qh, 1..=7, ()).expect("wl_seat")
    }

    /// Becomes the seat's input method.
    pub fn input_method(&mut self) -> zwp_input_method_v2::ZwpInputMethodV2 {
        let seat = self.seat();
        let manager: zwp_input_method_manager_v2::ZwpInputMethodManagerV2 = self
            .globals
            .bind(&self.qh, 1..=1, ())
            .expect("zwp_input_method_manager_v2");
        let input_method = manager.get_input_method(&seat, &self.qh, ());
        self.roundtrip();
        input_method
    }

    /// The input method commits `text` to the active text field.
    pub fn ime_commit(&mut self, input_method: &zwp_input_method_v2::ZwpInputMethodV2, text: &str) {
        let serial = self.events.ime.done;
        self.ime_commit_at(input_method, text, serial);
    }

    /// The same with `serial` as the count of `done` events seen (an older one: the text field
    /// changed its state meanwhile).
    pub fn ime_commit_at(
        &mut self,
        input_method: &zwp_input_method_v2::ZwpInputMethodV2,
        text: &str,
        serial: u32,
    ) {
        input_method.commit_string(text.into());
        input_method.commit(serial);
        self.roundtrip();
    }

    /// The text field tells where its cursor is now (a commit of its state).
    pub fn field_moves_cursor(&mut self, field: &zwp_text_input_v3::ZwpTextInputV3, x: i32) {
        field.set_cursor_rectangle(x, 0, 1, 14);
        field.commit();
        self.events.ime.field_commits += 1;
        self.roundtrip();
    }

    /// The input method takes the keyboard: keys go to `events.ime.keys`.
    pub fn ime_grab_keyboard(&mut self, input_method: &zwp_input_method_v2::ZwpInputMethodV2) {
        input_method.grab_keyboard(&self.qh, ());
        self.roundtrip();
    }

    /// A text field for this client's focused surface.
    pub fn text_input(&mut self) -> zwp_text_input_v3::ZwpTextInputV3 {
        let seat = self.seat();
        let manager: zwp_text_input_manager_v3::ZwpTextInputManagerV3 = self
            .globals
            .bind(&self.qh, 1..=1, ())
            .expect("zwp_text_input_manager_v3");
        let text_input = manager.get_text_input(&seat, &self.qh, ());
        self.roundtrip();
        text_input
    }
}

impl Dispatch<zwp_input_method_v2::ZwpInputMethodV2, ()> for Events {
    fn event(
        state: &mut Self,
        _: &zwp_input_method_v2::ZwpInputMethodV2,
        event: zwp_input_method_v2::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let ime = &mut state.ime;
        match event {
            zwp_input_method_v2::Event::Activate => ime.pending_active = true,
            zwp_input_method_v2::Event::Deactivate => ime.pending_active = false,
            zwp_input_method_v2::Event::Done => {
                ime.done += 1;
                ime.active = ime.pending_active;
            }
            zwp_input_method_v2::Event::Unavailable => state.log.push("ime unavailable".into()),
            _ => {}
        }
    }
}

impl Dispatch<zwp_input_method_keyboard_grab_v2::ZwpInputMethodKeyboardGrabV2, ()> for Events {
    fn event(
        state: &mut Self,
        _: &zwp_input_method_keyboard_grab_v2::ZwpInputMethodKeyboardGrabV2,
        event: zwp_input_method_keyboard_grab_v2::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let zwp_input_method_keyboard_grab_v2::Event::Key {
            key,
            state: wayland_client::WEnum::Value(key_state),
            ..
        } = event
        {
            let pressed = key_state == wayland_client::protocol::wl_keyboard::KeyState::Pressed;
            state.ime.keys.push((key, pressed));
        }
    }
}

impl Dispatch<zwp_text_input_v3::ZwpTextInputV3, ()> for Events {
    fn event(
        state: &mut Self,
        text_input: &zwp_text_input_v3::ZwpTextInputV3,
        event: zwp_text_input_v3::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            zwp_text_input_v3::Event::Enter { .. } => {
                text_input.enable();
                text_input.set_content_type(
                    zwp_text_input_v3::ContentHint::None,
                    zwp_text_input_v3::ContentPurpose::Normal,
                );
                text_input.commit();
                state.ime.field_commits += 1;
            }
            zwp_text_input_v3::Event::CommitString { text } => state.ime.pending_text = text,
            zwp_text_input_v3::Event::Done { serial } => {
                let text = state.ime.pending_text.take();
                if let Some(text) = text.filter(|_| serial == state.ime.field_commits) {
                    state.ime.texts.push(text);
                }
            }
            _ => {}
        }
    }
}
