//! The login screen of the window viewer: user name, password, a caps-lock hint, an error line
//! and "keep a desk card", drawn with egui on the window's own surface before any session is
//! shown. A login runs on the network runtime; a refusal shows the form again with the error,
//! a success hands the window over to the session (and saves the desk card when asked).

mod form;
mod paint;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use wayray_protocol::secret::Secret;
use wayray_protocol::session::Credentials;
use winit::event::WindowEvent;
use winit::event_loop::EventLoopProxy;
use winit::window::Window;

use super::Wake;
use super::gpu::GpuError;
use crate::connection::{ConnectError, ConnectOptions, Viewer};
use form::Form;
use paint::Painter;

/// What the login screen needs.
#[derive(Debug, Clone)]
pub struct LoginOptions {
    /// How to reach the server (the credentials are replaced by what is typed).
    pub connect: ConnectOptions,
    /// The user name to offer (`--user`).
    pub user: Option<String>,
    /// Where the desk card goes when the person asks to keep it.
    pub desk_card: Option<PathBuf>,
}

type Outcome = Result<Viewer, ConnectError>;

/// The login screen's state.
pub struct LoginScreen {
    options: LoginOptions,
    ctx: egui::Context,
    input: Option<egui_winit::State>,
    painter: Option<Painter>,
    form: Form,
    runtime: tokio::runtime::Handle,
    proxy: EventLoopProxy<Wake>,
    outcome: Arc<Mutex<Option<Outcome>>>,
}

impl LoginScreen {
    /// A login screen for `options`; logins run on `runtime` and wake the window with
    /// [`Wake::Login`].
    pub fn new(
        options: LoginOptions,
        runtime: tokio::runtime::Handle,
        proxy: EventLoopProxy<Wake>,
    ) -> Self {
        let form = Form::new(
            &options.connect.label,
            options.user.clone().unwrap_or_default(),
            options.desk_card.clone(),
        );
        Self {
            options,
            ctx: egui::Context::default(),
            input: None,
            painter: None,
            form,
            runtime,
            proxy,
            outcome: Arc::new(Mutex::new(None)),
        }
    }

    /// The window is open: draw into it.
    pub fn attach(&mut self, window: Arc<Window>) -> Result<(), GpuError> {
        let painter = Painter::new(window.clone())?;
        let input = egui_winit::State::new(
            self.ctx.clone(),
            egui::ViewportId::ROOT,
            &window,
            Some(window.scale_factor() as f32),
            None,
            None,
        );
        self.painter = Some(painter);
        self.input = Some(input);
        window.request_redraw();
        Ok(())
    }

    /// A window event while the login screen is shown.
    pub fn window_event(&mut self, window: &Window, event: &WindowEvent) {
        if let WindowEvent::KeyboardInput { event: key, .. } = event {
            self.form.notice_caps_lock(key);
        }
        if let WindowEvent::Resized(size) = event
            && let Some(painter) = &mut self.painter
        {
            painter.resize(size.width, size.height);
        }
        if let WindowEvent::RedrawRequested = event {
            self.draw(window);
            return;
        }
        if let Some(input) = &mut self.input
            && input.on_window_event(window, event).repaint
        {
            window.request_redraw();
        }
    }

    fn draw(&mut self, window: &Window) {
        let (Some(input), Some(painter)) = (&mut self.input, &mut self.painter) else {
            return;
        };
        let raw = input.take_egui_input(window);
        let form = &mut self.form;
        let output = self.ctx.run_ui(raw, |ui| form.show(ui));
        input.handle_platform_output(window, output.platform_output.clone());
        painter.paint(&self.ctx, output);
        if form.take_submit() {
            self.submit();
            window.request_redraw();
        }
    }

    /// Logs in with what was typed, on the network runtime.
    fn submit(&mut self) {
        let mut options = self.options.connect.clone();
        options.credentials = Credentials::Login {
            user: self.form.user.trim().to_owned(),
            password: Secret::new(std::mem::take(&mut self.form.password)),
        };
        let outcome = self.outcome.clone();
        let proxy = self.proxy.clone();
        self.runtime.spawn(async move {
            let result = Viewer::connect(&options).await;
            if let Ok(mut slot) = outcome.lock() {
                *slot = Some(result);
            }
            let _ = proxy.send_event(Wake::Login);
        });
    }

    /// The login finished: the viewer when it succeeded (the desk card saved when asked);
    /// `None` when the form is shown again with the error.
    pub fn finish(&mut self, window: &Window) -> Option<Viewer> {
        let outcome = self.outcome.lock().ok()?.take()?;
        match outcome {
            Ok(viewer) => {
                if let (Some(path), Some(token)) = (self.form.keep_card(), &viewer.desk_token)
                    && let Err(err) = crate::desk_card::save(&path, token.expose())
                {
                    tracing::warn!(%err, "cannot save the desk card");
                }
                Some(viewer)
            }
            Err(err) => {
                self.form.failed(&err);
                window.request_redraw();
                None
            }
        }
    }
}
