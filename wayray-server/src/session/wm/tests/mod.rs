//! Tests for the policy, one module per concern plus a property test.
//!
//! Owns the `Win` test handle and the `H` harness. Test bodies must never
//! mutate the manager directly: every operation goes through `H` (or, in
//! the property test, is followed by `verify_invariants()`).

mod client_grabs;
mod input;
mod lifecycle;
mod modes;
mod props;

use super::*;

/// Test window handle; every test window has a 50x40 minimum size.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Win(u32);

impl WmWindow for Win {
    fn min_size(&self) -> Size {
        Size::new(50, 40)
    }
}

/// Harness: each method performs one operation then checks invariants.
struct H {
    wm: WindowManager<Win>,
}

impl H {
    fn new() -> Self {
        H {
            wm: WindowManager::new(Size::new(1280, 720)),
        }
    }
    fn check(&self) {
        self.wm.verify_invariants();
    }
    fn add(&mut self, id: u32, w: i32, h: i32) {
        self.wm.add_window(Win(id), Size::new(w, h));
        self.check();
    }
    fn ack(&mut self, id: u32) {
        self.wm.configure_acked(&Win(id));
        self.check();
    }
    fn add_acked(&mut self, id: u32) {
        self.add(id, 400, 300);
        self.ack(id);
        self.actions();
    }
    fn commit(&mut self, id: u32, w: i32, h: i32) {
        self.wm.commit_size(&Win(id), Size::new(w, h));
        self.check();
    }
    fn remove(&mut self, id: u32) {
        self.wm.remove_window(&Win(id));
        self.check();
    }
    fn motion(&mut self, x: i32, y: i32) -> bool {
        let consumed = self.wm.pointer_motion(Point::new(x, y));
        self.check();
        consumed
    }
    fn button(&mut self, x: i32, y: i32, b: Button, pressed: bool, m: Modifiers) -> bool {
        let consumed = self.wm.pointer_button(Point::new(x, y), b, pressed, m);
        self.check();
        consumed
    }
    fn client_move(&mut self, id: u32) -> bool {
        let began = self.wm.begin_client_move(&Win(id));
        self.check();
        began
    }
    fn client_resize(&mut self, id: u32, edges: ResizeEdges) -> bool {
        let began = self.wm.begin_client_resize(&Win(id), edges);
        self.check();
        began
    }
    fn key(&mut self, s: Shortcut) {
        self.wm.handle_key(s);
        self.check();
    }
    fn maximize(&mut self, id: u32, on: bool) {
        self.wm.request_maximize(&Win(id), on);
        self.check();
    }
    fn fullscreen(&mut self, id: u32, on: bool) {
        self.wm.request_fullscreen(&Win(id), on);
        self.check();
    }
    fn output(&mut self, w: i32, h: i32) {
        self.wm.set_output_size(Size::new(w, h));
        self.check();
    }
    fn actions(&mut self) -> Vec<Action<Win>> {
        self.wm.take_actions()
    }
    fn geo(&self, id: u32) -> Rect {
        self.wm.geometry(&Win(id)).expect("window is managed")
    }
    fn focus(&self) -> Option<u32> {
        self.wm.keyboard_focus().map(|w| w.0)
    }
    fn order(&self) -> Vec<u32> {
        self.wm.windows().map(|(w, _)| w.0).collect()
    }
}

fn configure(id: u32, w: i32, h: i32, max: bool, fs: bool, act: bool) -> Action<Win> {
    Action::Configure {
        window: Win(id),
        size: Size::new(w, h),
        maximized: max,
        fullscreen: fs,
        activated: act,
        resizing: false,
    }
}

fn moved(id: u32, x: i32, y: i32) -> Action<Win> {
    Action::Move {
        window: Win(id),
        loc: Point::new(x, y),
    }
}
