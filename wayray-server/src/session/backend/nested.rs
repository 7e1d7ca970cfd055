//! Nested mode: the session compositor in a window on the developer's own desktop (X11 or
//! Wayland, through smithay's winit backend). Rendering and capture are exactly the headless
//! ones; the captured damage is uploaded into a GL texture and drawn in the window, and the
//! window's input is fed to the compositor as viewer input would be.

use std::cell::RefCell;
use std::rc::Rc;

use smithay::backend::allocator::Fourcc;
use smithay::backend::input::{
    AbsolutePositionEvent, Axis, AxisSource, ButtonState as SmithayButton, Event, InputEvent,
    KeyState, KeyboardKeyEvent, PointerAxisEvent, PointerButtonEvent,
};
use smithay::backend::renderer::gles::{GlesRenderer, GlesTexture};
use smithay::backend::renderer::{Color32F, Frame, ImportMem, Renderer};
use smithay::backend::winit::{self, WinitEvent, WinitGraphicsBackend, WinitInput};
use smithay::reexports::winit::dpi::PhysicalSize;
use smithay::reexports::winit::window::WindowAttributes;
use smithay::utils::{Buffer, Physical, Rectangle, Size, Transform};
use wayray_protocol::messages::input::{
    ButtonState, InputMessage, Key, PointerButton, PointerMotion, Scroll, ScrollSource,
};

use crate::session::capture::CapturedFrame;
use crate::session::output::OutputConfig;
use crate::session::state::State;
use crate::session::{Session, SessionConfig, SessionError};

struct Window {
    backend: WinitGraphicsBackend<GlesRenderer>,
    texture: Option<(GlesTexture, Size<i32, Buffer>)>,
}

impl Window {
    /// Uploads what changed and presents it.
    fn show(&mut self, frame: &CapturedFrame<'_>) -> Result<(), String> {
        let size = Size::<i32, Buffer>::from((frame.width() as i32, frame.height() as i32));
        let copied;
        let pixels = match frame.packed() {
            Some(pixels) => pixels,
            None => {
                copied = frame.to_bgra();
                &copied
            }
        };
        let renderer = self.backend.renderer();
        let texture = match &self.texture {
            Some((texture, tex_size)) if *tex_size == size => {
                for rect in frame.damage() {
                    let region = Rectangle::<i32, Buffer>::new(
                        (rect.loc.x, rect.loc.y).into(),
                        (rect.size.w, rect.size.h).into(),
                    );
                    renderer
                        .update_memory(texture, pixels, region)
                        .map_err(|e| e.to_string())?;
                }
                texture.clone()
            }
            _ => {
                let texture = renderer
                    .import_memory(pixels, Fourcc::Argb8888, size, false)
                    .map_err(|e| e.to_string())?;
                self.texture = Some((texture.clone(), size));
                texture
            }
        };
        let window_size = self.backend.window_size();
        let full = Rectangle::<i32, Physical>::from_size(window_size);
        {
            let (renderer, mut framebuffer) = self.backend.bind().map_err(|e| e.to_string())?;
            let mut target = renderer
                .render(&mut framebuffer, window_size, Transform::Flipped180)
                .map_err(|e| e.to_string())?;
            target
                .clear(Color32F::new(0.0, 0.0, 0.0, 1.0), &[full])
                .map_err(|e| e.to_string())?;
            let dst = Rectangle::<i32, Physical>::from_size((size.w, size.h).into());
            Frame::render_texture_from_to(
                &mut target,
                &texture,
                Rectangle::from_size((f64::from(size.w), f64::from(size.h)).into()),
                dst,
                &[full],
                &[],
                Transform::Normal,
                1.0,
            )
            .map_err(|e| e.to_string())?;
            let _sync = target.finish().map_err(|e| e.to_string())?;
        }
        self.backend
            .submit(Some(&[full]))
            .map_err(|e| e.to_string())
    }
}

/// Runs a session in a window until the window is closed.
pub fn run(mut config: SessionConfig) -> Result<(), SessionError> {
    let attributes = WindowAttributes::default()
        .with_title("WayRay (nested)")
        .with_inner_size(PhysicalSize::new(config.output.width, config.output.height));
    let (backend, events) = winit::init_from_attributes::<GlesRenderer>(attributes)
        .map_err(|e| SessionError::Display(format!("cannot open a window: {e}")))?;
    let size = backend.window_size();
    config.output = OutputConfig {
        width: size.w.max(1) as u32,
        height: size.h.max(1) as u32,
        scale_120: 120,
        ..config.output
    };
    let window = Rc::new(RefCell::new(Window {
        backend,
        texture: None,
    }));
    let mut session = Session::new(&config)?;
    let sink_window = window.clone();
    session.set_sink(Box::new(move |frame: &CapturedFrame<'_>| {
        if let Err(err) = sink_window.borrow_mut().show(frame) {
            tracing::warn!(%err, "cannot draw the nested window");
        }
    }));
    session
        .loop_handle()
        .insert_source(events, move |event, _, state| handle_event(state, event))
        .map_err(|e| SessionError::Display(e.to_string()))?;
    session.spawn(&config.command)?;
    tracing::info!(socket = session.socket_name(), "nested session running");
    session.run();
    Ok(())
}

fn handle_event(state: &mut State, event: WinitEvent) {
    match event {
        WinitEvent::Resized { size, .. } => {
            let config = OutputConfig {
                width: size.w.max(1) as u32,
                height: size.h.max(1) as u32,
                ..state.output_config
            };
            state.set_output_config(config);
        }
        WinitEvent::Focus(false) => state.handle_input(InputMessage::ReleaseAll { time_ms: 0 }),
        WinitEvent::Input(event) => {
            if let Some(message) = translate(state, event) {
                state.handle_input(message);
            }
        }
        WinitEvent::CloseRequested => state.running = false,
        WinitEvent::Redraw => state.schedule_render(),
        WinitEvent::Focus(true) => {}
    }
}

/// The nested window's input as viewer input messages (evdev codes, output pixels).
fn translate(state: &State, event: InputEvent<WinitInput>) -> Option<InputMessage> {
    let pressed = |p: bool| {
        if p {
            ButtonState::Pressed
        } else {
            ButtonState::Released
        }
    };
    Some(match event {
        InputEvent::Keyboard { event } => InputMessage::Key(Key {
            code: event.key_code().raw().saturating_sub(8),
            state: pressed(event.state() == KeyState::Pressed),
            time_ms: event.time_msec(),
        }),
        InputEvent::PointerMotionAbsolute { event } => {
            let size = (
                state.output_config.width as i32,
                state.output_config.height as i32,
            );
            let pos = event.position_transformed(size.into());
            InputMessage::PointerMotion(PointerMotion {
                x: pos.x,
                y: pos.y,
                time_ms: event.time_msec(),
            })
        }
        InputEvent::PointerButton { event } => InputMessage::PointerButton(PointerButton {
            button: event.button_code(),
            state: pressed(event.state() == SmithayButton::Pressed),
            time_ms: event.time_msec(),
        }),
        InputEvent::PointerAxis { event } => {
            let source = match event.source() {
                AxisSource::Wheel => ScrollSource::Wheel,
                AxisSource::Finger => ScrollSource::Finger,
                AxisSource::WheelTilt => ScrollSource::WheelTilt,
                AxisSource::Continuous => ScrollSource::Continuous,
            };
            let amount = |axis| event.amount(axis).unwrap_or(0.0);
            let v120 = |axis| event.amount_v120(axis).unwrap_or(0.0) as i32;
            InputMessage::Scroll(Scroll {
                source,
                horizontal: amount(Axis::Horizontal),
                vertical: amount(Axis::Vertical),
                horizontal_v120: v120(Axis::Horizontal),
                vertical_v120: v120(Axis::Vertical),
                stop: (false, false),
                time_ms: event.time_msec(),
            })
        }
        _ => return None,
    })
}
