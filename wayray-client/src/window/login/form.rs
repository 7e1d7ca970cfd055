//! The login form itself: what is typed, what it shows, and when it is submitted.

use std::path::PathBuf;

use winit::event::{ElementState, KeyEvent};

use crate::connection::ConnectError;

/// The form's state.
pub struct Form {
    title: String,
    /// The user name typed.
    pub user: String,
    /// The password typed (taken when submitted).
    pub password: String,
    desk_card: Option<PathBuf>,
    keep_card: bool,
    caps_lock: bool,
    error: Option<String>,
    busy: bool,
    focused: bool,
    submit: bool,
}

impl Form {
    /// An empty form for `server`, with `user` filled in.
    pub fn new(server: &str, user: String, desk_card: Option<PathBuf>) -> Self {
        Self {
            title: format!("Log in to {server}"),
            user,
            password: String::new(),
            desk_card,
            keep_card: false,
            caps_lock: false,
            error: None,
            busy: false,
            focused: false,
            submit: false,
        }
    }

    /// Caps Lock cannot be read from the desk portably; a letter typed in the wrong case for
    /// the Shift key tells.
    pub fn notice_caps_lock(&mut self, key: &KeyEvent) {
        if key.state != ElementState::Pressed {
            return;
        }
        let Some(text) = &key.text else { return };
        let mut letters = text.chars().filter(char::is_ascii_alphabetic);
        if let Some(c) = letters.next() {
            // The shifted state is not known here either: a capital letter without a
            // lowercase one typed since means Caps Lock or Shift; both read the same way for
            // a password.
            self.caps_lock = c.is_ascii_uppercase();
        }
    }

    /// Draws the form.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        ui.vertical_centered(|ui| {
            ui.add_space(28.0);
            ui.heading(&self.title);
            ui.add_space(16.0);
            ui.label("User name");
            let user = ui.add(
                egui::TextEdit::singleline(&mut self.user)
                    .desired_width(260.0)
                    .interactive(!self.busy),
            );
            let focus_password = !self.focused && !self.user.is_empty();
            if !self.focused && self.user.is_empty() {
                user.request_focus();
            }
            self.focused = true;
            ui.add_space(6.0);
            ui.label("Password");
            let password = ui.add(
                egui::TextEdit::singleline(&mut self.password)
                    .password(true)
                    .desired_width(260.0)
                    .interactive(!self.busy),
            );
            if focus_password {
                password.request_focus();
            }
            if self.caps_lock && password.has_focus() {
                ui.colored_label(egui::Color32::from_rgb(240, 200, 80), "Caps Lock is on");
            }
            if let Some(path) = &self.desk_card {
                ui.add_space(6.0);
                ui.checkbox(&mut self.keep_card, "Keep a desk card on this computer")
                    .on_hover_text(path.display().to_string());
            }
            ui.add_space(10.0);
            let enter = password.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let clicked = ui
                .add_enabled(!self.busy, egui::Button::new("Log in"))
                .clicked();
            if (enter || clicked) && !self.busy && !self.user.trim().is_empty() {
                self.submit = true;
                self.busy = true;
                self.error = None;
            }
            if self.busy {
                ui.label("Logging in…");
            }
            if let Some(error) = &self.error {
                ui.add_space(6.0);
                ui.colored_label(egui::Color32::from_rgb(255, 120, 120), error);
            }
        });
    }

    /// Whether the form was just submitted.
    pub fn take_submit(&mut self) -> bool {
        std::mem::take(&mut self.submit)
    }

    /// Where to keep the desk card, when asked.
    pub fn keep_card(&self) -> Option<PathBuf> {
        self.desk_card.clone().filter(|_| self.keep_card)
    }

    /// The login failed: the form again, with why (a refusal is only "login refused").
    pub fn failed(&mut self, err: &ConnectError) {
        self.busy = false;
        self.focused = false;
        self.password.clear();
        self.error = Some(match err {
            ConnectError::Refused { message, .. } => message.clone(),
            other => other.to_string(),
        });
    }
}
