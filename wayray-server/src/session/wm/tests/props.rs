//! Property test: random operation sequences never break an invariant, and
//! a fake compositor that only applies the emitted actions stays in sync.
//!
//! Owns the operation generator and the `Scene` replayer. Must never skip
//! `verify_invariants()` after an operation.

use proptest::prelude::*;

use super::*;

#[derive(Debug, Clone)]
enum Op {
    Add(u32, Size),
    Ack(u32),
    Commit(u32, Size),
    Remove(u32),
    Motion(Point),
    Button(Point, Button, bool, Modifiers),
    Key(Shortcut),
    Maximize(u32, bool),
    Fullscreen(u32, bool),
    Output(Size),
}

fn size(max: i32) -> impl Strategy<Value = Size> {
    (-5..max, -5..max).prop_map(|(w, h)| Size::new(w, h))
}

fn op() -> impl Strategy<Value = Op> {
    let id = 0u32..6;
    let point = (-300..1700, -300..1100).prop_map(|(x, y)| Point::new(x, y));
    let button = prop_oneof![
        Just(Button::Left),
        Just(Button::Right),
        Just(Button::Middle),
        Just(Button::Other),
    ];
    let mods = any::<[bool; 4]>().prop_map(|[alt, ctrl, shift, logo]| Modifiers {
        alt,
        ctrl,
        shift,
        logo,
    });
    let key = prop_oneof![
        Just(Shortcut::AltTab),
        Just(Shortcut::AltShiftTab),
        Just(Shortcut::AltF4),
        Just(Shortcut::SuperUp),
        Just(Shortcut::SuperDown),
    ];
    prop_oneof![
        3 => (id.clone(), size(2000)).prop_map(|(i, s)| Op::Add(i, s)),
        3 => id.clone().prop_map(Op::Ack),
        2 => (id.clone(), size(2000)).prop_map(|(i, s)| Op::Commit(i, s)),
        1 => id.clone().prop_map(Op::Remove),
        4 => point.clone().prop_map(Op::Motion),
        4 => (point, button, any::<bool>(), mods)
            .prop_map(|(p, b, down, m)| Op::Button(p, b, down, m)),
        2 => key.prop_map(Op::Key),
        1 => (id.clone(), any::<bool>()).prop_map(|(i, on)| Op::Maximize(i, on)),
        1 => (id, any::<bool>()).prop_map(|(i, on)| Op::Fullscreen(i, on)),
        1 => size(3000).prop_map(Op::Output),
    ]
}

fn apply(wm: &mut WindowManager<Win>, op: &Op) {
    match *op {
        Op::Add(i, s) => wm.add_window(Win(i), s),
        Op::Ack(i) => wm.configure_acked(&Win(i)),
        Op::Commit(i, s) => wm.commit_size(&Win(i), s),
        Op::Remove(i) => wm.remove_window(&Win(i)),
        Op::Motion(p) => {
            wm.pointer_motion(p);
        }
        Op::Button(p, b, down, m) => {
            wm.pointer_button(p, b, down, m);
        }
        Op::Key(k) => wm.handle_key(k),
        Op::Maximize(i, on) => wm.request_maximize(&Win(i), on),
        Op::Fullscreen(i, on) => wm.request_fullscreen(&Win(i), on),
        Op::Output(s) => wm.set_output_size(s),
    }
}

/// What a compositor knows if it only ever applies `Action`s (plus its own
/// knowledge of which windows were destroyed).
#[derive(Default)]
struct Scene {
    stack: Vec<(Win, Point)>,
    focus: Option<Win>,
}

impl Scene {
    fn apply(&mut self, action: Action<Win>, wm: &WindowManager<Win>) {
        match action {
            Action::Move { window, loc } => match self.stack.iter_mut().find(|e| e.0 == window) {
                Some(entry) => entry.1 = loc,
                None => self.stack.push((window, loc)),
            },
            Action::Raise(window) => {
                let idx = self.stack.iter().position(|e| e.0 == window);
                let entry = self.stack.remove(idx.expect("raise of unmapped window"));
                self.stack.push(entry);
            }
            Action::FocusChanged(focus) => self.focus = focus,
            Action::Configure { window, size, .. } => {
                assert!(wm.geometry(&window).is_some(), "configure for unmanaged");
                assert!(size.w >= 0 && size.h >= 0, "negative configure {size:?}");
            }
            Action::Close(window) => {
                assert_eq!(wm.keyboard_focus(), Some(&window), "close of unfocused");
            }
        }
    }
}

proptest! {
    #[test]
    fn invariants_hold_and_actions_describe_the_state(
        ops in prop::collection::vec(op(), 1..80)
    ) {
        let mut wm = WindowManager::new(Size::new(1280, 720));
        let mut scene = Scene::default();
        wm.verify_invariants();
        for op in &ops {
            apply(&mut wm, op);
            wm.verify_invariants();
            if let Op::Remove(i) = op {
                scene.stack.retain(|e| e.0 != Win(*i));
            }
            for action in wm.take_actions() {
                scene.apply(action, &wm);
            }
            let expected: Vec<_> = wm.windows().map(|(w, g)| (w.clone(), g.loc)).collect();
            prop_assert_eq!(&scene.stack, &expected);
            prop_assert_eq!(scene.focus.as_ref(), wm.keyboard_focus());
        }
    }
}
