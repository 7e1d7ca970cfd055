//! Typing text as key presses, for automation (`--type`) and tests: printable ASCII and newline
//! as the evdev codes of a US keyboard, with Shift where the character needs it. The session
//! turns codes into characters with its own keymap, so the text comes out as typed when the
//! session's layout is `us`.

use wayray_protocol::InputMessage;
use wayray_protocol::messages::input::{ButtonState, Key};

/// evdev code of the left Shift key.
pub const LEFT_SHIFT: u32 = 42;

/// One key to press, with or without Shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stroke {
    /// evdev key code.
    pub code: u32,
    /// Whether Shift is held around it.
    pub shift: bool,
}

/// Unshifted and shifted characters of each key row of a US keyboard, with the evdev code of
/// each row's first key. Codes of a row are consecutive.
const ROWS: [(u32, &str, &str); 4] = [
    (2, "1234567890-=", "!@#$%^&*()_+"),
    (16, "qwertyuiop[]", "QWERTYUIOP{}"),
    (30, "asdfghjkl;'`", "ASDFGHJKL:\"~"),
    (43, "\\zxcvbnm,./", "|ZXCVBNM<>?"),
];

/// The key (and Shift) that types `ch` on a US keyboard.
pub fn us_stroke(ch: char) -> Option<Stroke> {
    let plain = |code| Some(Stroke { code, shift: false });
    match ch {
        ' ' => return plain(57),
        '\n' => return plain(28),
        '\t' => return plain(15),
        _ => {}
    }
    ROWS.iter().find_map(|(first, lower, upper)| {
        let at = |row: &str| row.chars().position(|c| c == ch);
        if let Some(i) = at(lower) {
            Some(Stroke {
                code: first + i as u32,
                shift: false,
            })
        } else {
            at(upper).map(|i| Stroke {
                code: first + i as u32,
                shift: true,
            })
        }
    })
}

/// The strokes that type `text`, or the first character a US keyboard cannot type.
pub fn us_strokes(text: &str) -> Result<Vec<Stroke>, char> {
    text.chars().map(|c| us_stroke(c).ok_or(c)).collect()
}

fn key(code: u32, state: ButtonState) -> InputMessage {
    InputMessage::Key(Key {
        code,
        state,
        time_ms: 0,
    })
}

/// The key events of one stroke: Shift down, key down, key up, Shift up.
pub fn stroke_events(stroke: Stroke) -> Vec<InputMessage> {
    let mut events = Vec::with_capacity(4);
    if stroke.shift {
        events.push(key(LEFT_SHIFT, ButtonState::Pressed));
    }
    events.push(key(stroke.code, ButtonState::Pressed));
    events.push(key(stroke.code, ButtonState::Released));
    if stroke.shift {
        events.push(key(LEFT_SHIFT, ButtonState::Released));
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_becomes_us_key_codes() {
        let codes: Vec<(u32, bool)> = us_strokes("echo Hi!\n")
            .unwrap()
            .into_iter()
            .map(|s| (s.code, s.shift))
            .collect();
        assert_eq!(
            codes,
            [
                (18, false),
                (46, false),
                (35, false),
                (24, false),
                (57, false),
                (35, true),
                (23, false),
                (2, true),
                (28, false)
            ]
        );
        assert_eq!(us_strokes("é"), Err('é'));
        assert_eq!(us_stroke('/').map(|s| s.code), Some(53));
        assert_eq!(us_stroke('`').map(|s| s.code), Some(41));
    }

    #[test]
    fn shifted_strokes_hold_shift_around_the_key() {
        let events = stroke_events(us_stroke('A').unwrap());
        assert_eq!(events.len(), 4);
        assert_eq!(events[0], key(LEFT_SHIFT, ButtonState::Pressed));
        assert_eq!(events[3], key(LEFT_SHIFT, ButtonState::Released));
    }
}
