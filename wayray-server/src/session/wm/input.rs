//! Input vocabulary the compositor translates into before calling the policy.
//!
//! Owns `Button`, `Modifiers` and `Shortcut`. Must never hold keysyms,
//! keycodes or evdev constants: mapping raw input to these types is the
//! compositor's job, so the policy stays independent of xkb and libinput.

/// A pointer button, reduced to what the policy distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Button {
    /// Primary button (BTN_LEFT).
    Left,
    /// Secondary button (BTN_RIGHT).
    Right,
    /// Middle button (BTN_MIDDLE).
    Middle,
    /// Any other button; never used by the policy, always forwarded.
    Other,
}

/// Modifier keys held while an input event happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Modifiers {
    /// Alt (Mod1).
    pub alt: bool,
    /// Control.
    pub ctrl: bool,
    /// Shift.
    pub shift: bool,
    /// Super / logo (Mod4).
    pub logo: bool,
}

impl Modifiers {
    /// No modifier held.
    pub const NONE: Modifiers = Modifiers {
        alt: false,
        ctrl: false,
        shift: false,
        logo: false,
    };

    /// Only Alt held.
    pub const ALT: Modifiers = Modifiers {
        alt: true,
        ..Modifiers::NONE
    };
}

/// The edges of a window that follow the pointer in a resize (a corner is two of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ResizeEdges {
    /// The left edge.
    pub left: bool,
    /// The right edge.
    pub right: bool,
    /// The top edge.
    pub top: bool,
    /// The bottom edge.
    pub bottom: bool,
}

impl ResizeEdges {
    /// The bottom-right corner (Alt+right drag).
    pub const BOTTOM_RIGHT: ResizeEdges = ResizeEdges {
        left: false,
        right: true,
        top: false,
        bottom: true,
    };
}

/// A keyboard shortcut the compositor recognised and hands to the policy
/// instead of the focused client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shortcut {
    /// Focus and raise the next window (the one longest untouched).
    AltTab,
    /// Undo one `AltTab`: send the focused window to the bottom.
    AltShiftTab,
    /// Ask the focused window to close.
    AltF4,
    /// Toggle maximise of the focused window.
    SuperUp,
    /// Un-maximise the focused window.
    SuperDown,
}
