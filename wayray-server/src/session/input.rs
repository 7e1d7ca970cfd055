//! Input from the viewer (or the nested window) into the seat. Events arrive as
//! `wayray_protocol` input messages in physical output pixels; the WM sees them first (focus,
//! Alt+drag, shortcuts), then whatever it does not consume goes to the client under the pointer
//! or with keyboard focus.

use smithay::backend::input::{Axis, AxisSource, ButtonState as SmithayButton, KeyState};
use smithay::desktop::WindowSurfaceType;
use smithay::input::keyboard::{FilterResult, Keycode, Keysym, ModifiersState, XkbConfig};
use smithay::input::pointer::{AxisFrame, ButtonEvent, MotionEvent, RelativeMotionEvent};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Point, SERIAL_COUNTER};
use wayray_protocol::messages::input::{ButtonState, InputMessage, KeymapLayout, ScrollSource};

use crate::session::state::State;
use crate::session::wm::{Button, Modifiers, Shortcut};

/// Linux evdev offset between key codes and xkb key codes.
const EVDEV_XKB_OFFSET: u32 = 8;
const BTN_LEFT: u32 = 0x110;

/// A surface under a point and that surface's origin, in output logical coordinates.
pub type SurfaceHit = Option<(WlSurface, Point<f64, Logical>)>;
const BTN_RIGHT: u32 = 0x111;
const BTN_MIDDLE: u32 = 0x112;

impl State {
    /// Applies one input event. Events for nothing (no window under the pointer, no focus) are
    /// dropped; nothing here can fail on peer values (the protocol crate validated them).
    pub fn handle_input(&mut self, event: InputMessage) {
        match event {
            InputMessage::Keymap(layout) => self.set_keymap(&layout),
            InputMessage::Key(key) => self.key(key.code, key.state, key.time_ms),
            InputMessage::PointerMotion(m) => {
                self.pointer_motion(self.to_logical(m.x, m.y), m.time_ms)
            }
            InputMessage::PointerButton(b) => self.pointer_button(b.button, b.state, b.time_ms),
            InputMessage::Scroll(s) => self.scroll(s),
            InputMessage::TouchDown(t) => self.touch_down(&t),
            InputMessage::TouchMotion(t) => self.touch_motion(&t),
            InputMessage::TouchUp(t) => self.touch_up(&t),
            InputMessage::TouchFrame => self.touch_frame(),
            InputMessage::TouchCancel => self.touch_cancel(),
            InputMessage::ReleaseAll { time_ms } => self.release_all(time_ms),
        }
        // A click may have moved the keyboard, a motion the pointer.
        self.update_pointer_constraints();
    }

    pub(crate) fn to_logical(&self, x: f64, y: f64) -> Point<f64, Logical> {
        let scale = self.output_config.scale();
        let size = self.output_config.logical_size();
        // Clamp: a viewer window a little larger than the output must not point outside it.
        Point::from((
            (x / scale).clamp(0.0, f64::from(size.w - 1)),
            (y / scale).clamp(0.0, f64::from(size.h - 1)),
        ))
    }

    /// The surface under a point and that surface's origin, both in output logical coordinates.
    /// Layer surfaces above the windows come first, those below last.
    pub fn surface_under(&self, pos: Point<f64, Logical>) -> SurfaceHit {
        if let Some((_, hit)) = self.layer_surface_under(pos, &crate::session::layers::ABOVE) {
            return Some(hit);
        }
        // `element_under` gives where the window's surface is drawn (its geometry's place less
        // the geometry's offset, e.g. a client-side shadow).
        if let Some((window, render_loc)) = self.space.element_under(pos) {
            return window
                .surface_under(pos - render_loc.to_f64(), WindowSurfaceType::ALL)
                .map(|(surface, offset)| (surface, (offset + render_loc).to_f64()));
        }
        self.layer_surface_under(pos, &crate::session::layers::BELOW)
            .map(|(_, hit)| hit)
    }

    /// Whether the surface under `pos` is a popup's (a menu, a tooltip).
    fn on_popup(&self, pos: Point<f64, Logical>) -> bool {
        self.surface_under(pos)
            .is_some_and(|(surface, _)| self.popups.find_popup(&surface).is_some())
    }

    fn modifiers(&self) -> Modifiers {
        let mods = self
            .seat
            .get_keyboard()
            .map(|k| k.modifier_state())
            .unwrap_or_default();
        Modifiers {
            alt: mods.alt,
            ctrl: mods.ctrl,
            shift: mods.shift,
            logo: mods.logo,
        }
    }

    fn set_keymap(&mut self, layout: &KeymapLayout) {
        let Some(keyboard) = self.seat.get_keyboard() else {
            return;
        };
        let config = XkbConfig {
            rules: &layout.rules,
            model: &layout.model,
            layout: &layout.layout,
            variant: &layout.variant,
            options: (!layout.options.is_empty()).then(|| layout.options.clone()),
        };
        if let Err(err) = keyboard.set_xkb_config(self, config) {
            tracing::warn!(?err, layout = %layout.layout, "unknown keyboard layout; keeping the current one");
        }
    }

    fn key(&mut self, code: u32, state: ButtonState, time: u32) {
        let Some(keyboard) = self.seat.get_keyboard() else {
            return;
        };
        let state = match state {
            ButtonState::Pressed => KeyState::Pressed,
            ButtonState::Released => KeyState::Released,
        };
        let keycode = Keycode::new(code.saturating_add(EVDEV_XKB_OFFSET));
        let inhibited = self.shortcuts_inhibited();
        let shortcut = keyboard.input(
            self,
            keycode,
            state,
            SERIAL_COUNTER.next_serial(),
            time,
            |data, mods, keysym| match state {
                KeyState::Pressed if inhibited => FilterResult::Forward,
                KeyState::Pressed => match shortcut_for(mods, keysym.modified_sym()) {
                    Some(shortcut) => {
                        data.intercepted_keys.insert(code);
                        FilterResult::Intercept(Some(shortcut))
                    }
                    None => FilterResult::Forward,
                },
                // A client never saw the press (focus may even have moved to it since).
                KeyState::Released if data.intercepted_keys.remove(&code) => {
                    FilterResult::Intercept(None)
                }
                KeyState::Released => FilterResult::Forward,
            },
        );
        if let Some(Some(shortcut)) = shortcut {
            self.wm.handle_key(shortcut);
            self.apply_wm_actions();
        }
    }

    fn release_all(&mut self, time: u32) {
        let Some(keyboard) = self.seat.get_keyboard() else {
            return;
        };
        for keycode in keyboard.pressed_keys() {
            let code = keycode.raw().saturating_sub(EVDEV_XKB_OFFSET);
            keyboard.input::<(), _>(
                self,
                keycode,
                KeyState::Released,
                SERIAL_COUNTER.next_serial(),
                time,
                |data, _, _| {
                    if data.intercepted_keys.remove(&code) {
                        FilterResult::Intercept(())
                    } else {
                        FilterResult::Forward
                    }
                },
            );
        }
        self.intercepted_keys.clear();
        if let Some(pointer) = self.seat.get_pointer() {
            for button in [BTN_LEFT, BTN_RIGHT, BTN_MIDDLE] {
                if pointer.is_grabbed() || pointer.current_focus().is_some() {
                    self.send_button(&pointer, button, SmithayButton::Released, time);
                }
            }
            pointer.frame(self);
        }
    }

    fn pointer_motion(&mut self, location: Point<f64, Logical>, time: u32) {
        let Some(pointer) = self.seat.get_pointer() else {
            return;
        };
        let wm_pos = crate::session::wm::Point::new(location.x as i32, location.y as i32);
        if self.wm.pointer_motion(wm_pos) {
            self.apply_wm_actions();
        }
        let seen = self.viewer_pointer.replace(location);
        let hold = if self.wm.is_grabbing() {
            crate::session::pointer_lock::Hold::Free
        } else {
            self.pointer_hold(&pointer)
        };
        let Some(location) = hold.apply(location) else {
            // Locked: the pointer stays; the surface learns how far the device moved.
            let focus = pointer.current_focus().zip(self.pointer_origin);
            if let (Some(seen), Some(focus)) = (seen, focus) {
                self.send_relative(&pointer, focus, location - seen, time);
            }
            pointer.frame(self);
            return;
        };
        let previous = pointer.current_location();
        let previous_focus = pointer.current_focus();
        let focus = if self.wm.is_grabbing() {
            None
        } else {
            self.surface_under(location)
        };
        self.pointer_origin = focus.as_ref().map(|(_, origin)| *origin);
        pointer.motion(
            self,
            focus.clone(),
            &MotionEvent {
                location,
                serial: SERIAL_COUNTER.next_serial(),
                time,
            },
        );
        // Relative motion within one surface only: entering a surface (the first motion of
        // all included) is no movement of the device, and a jump as large as the position
        // would throw an X11 pointer (Xwayland applies it) to the edge of the screen.
        if previous_focus.is_none() || previous_focus.as_ref() != focus.as_ref().map(|(s, _)| s) {
            pointer.frame(self);
            return;
        }
        if let Some(focus) = focus {
            self.send_relative(&pointer, focus, location - previous, time);
        }
        pointer.frame(self);
    }

    fn send_relative(
        &mut self,
        pointer: &smithay::input::pointer::PointerHandle<State>,
        focus: (WlSurface, Point<f64, Logical>),
        delta: Point<f64, Logical>,
        time: u32,
    ) {
        pointer.relative_motion(
            self,
            Some(focus),
            &RelativeMotionEvent {
                delta,
                delta_unaccel: delta,
                utime: u64::from(time) * 1000,
            },
        );
    }

    fn pointer_button(&mut self, button: u32, state: ButtonState, time: u32) {
        let Some(pointer) = self.seat.get_pointer() else {
            return;
        };
        let location = pointer.current_location();
        let pressed = state == ButtonState::Pressed;
        let wm_button = match button {
            BTN_LEFT => Button::Left,
            BTN_RIGHT => Button::Right,
            BTN_MIDDLE => Button::Middle,
            _ => Button::Other,
        };
        let pos = crate::session::wm::Point::new(location.x as i32, location.y as i32);
        let was_grabbing = self.wm.is_grabbing();
        // A panel or launcher above the windows takes its clicks: the windows under it (and
        // the window manager) do not see them.
        let above = self.layer_surface_under(location, &crate::session::layers::ABOVE);
        let consumed = match &above {
            Some((layer, _)) => {
                if pressed {
                    self.layer_clicked(layer);
                }
                false
            }
            // A click on a popup (a menu reaching over another window) is the popup's: the
            // window manager, which knows windows only, would raise and focus the window
            // under it, which dismisses the menu before the click reaches it.
            None if !was_grabbing && self.on_popup(location) => false,
            None => {
                let consumed = self
                    .wm
                    .pointer_button(pos, wm_button, pressed, self.modifiers());
                self.apply_wm_actions();
                if pressed && self.space.element_under(location).is_none() {
                    if let Some((layer, _)) =
                        self.layer_surface_under(location, &crate::session::layers::BELOW)
                    {
                        self.layer_clicked(&layer);
                    }
                }
                consumed
            }
        };
        if !consumed {
            let state = if pressed {
                SmithayButton::Pressed
            } else {
                SmithayButton::Released
            };
            self.send_button(&pointer, button, state, time);
            pointer.frame(self);
        }
        // A move or resize ended: the surface now under the pointer gets it back.
        if was_grabbing && !self.wm.is_grabbing() {
            self.refresh_pointer_focus();
        }
    }

    fn send_button(
        &mut self,
        pointer: &smithay::input::pointer::PointerHandle<State>,
        button: u32,
        state: SmithayButton,
        time: u32,
    ) {
        pointer.button(
            self,
            &ButtonEvent {
                serial: SERIAL_COUNTER.next_serial(),
                time,
                button,
                state,
            },
        );
    }

    fn scroll(&mut self, s: wayray_protocol::messages::input::Scroll) {
        let Some(pointer) = self.seat.get_pointer() else {
            return;
        };
        let source = match s.source {
            ScrollSource::Wheel => AxisSource::Wheel,
            ScrollSource::Finger => AxisSource::Finger,
            ScrollSource::Continuous => AxisSource::Continuous,
            ScrollSource::WheelTilt => AxisSource::WheelTilt,
        };
        let mut frame = AxisFrame::new(s.time_ms).source(source);
        for (axis, value, v120, stop) in [
            (Axis::Horizontal, s.horizontal, s.horizontal_v120, s.stop.0),
            (Axis::Vertical, s.vertical, s.vertical_v120, s.stop.1),
        ] {
            if value != 0.0 {
                frame = frame.value(axis, value);
            }
            if v120 != 0 {
                frame = frame.v120(axis, v120);
            }
            if stop {
                frame = frame.stop(axis);
            }
        }
        pointer.axis(self, frame);
        pointer.frame(self);
    }
}

/// The compositor's own key bindings.
fn shortcut_for(mods: &ModifiersState, sym: Keysym) -> Option<Shortcut> {
    match sym {
        Keysym::Tab | Keysym::ISO_Left_Tab if mods.alt && mods.shift => Some(Shortcut::AltShiftTab),
        Keysym::Tab if mods.alt => Some(Shortcut::AltTab),
        Keysym::F4 if mods.alt => Some(Shortcut::AltF4),
        Keysym::Up if mods.logo => Some(Shortcut::SuperUp),
        Keysym::Down if mods.logo => Some(Shortcut::SuperDown),
        _ => None,
    }
}
