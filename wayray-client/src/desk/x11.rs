//! The layout of an X11 desk: the X server publishes the xkb names in effect (`setxkbmap`,
//! the desktop's settings) on the root window as `_XKB_RULES_NAMES`: rules, model, layout,
//! variant and options, each ending in a NUL.

use wayray_protocol::messages::input::KeymapLayout;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt};

/// Parses the value of `_XKB_RULES_NAMES`; `None` without a layout.
pub fn parse_rules_names(value: &[u8]) -> Option<KeymapLayout> {
    let mut fields = value
        .split(|b| *b == 0)
        .map(|f| String::from_utf8_lossy(f).into_owned());
    let mut next = || fields.next().unwrap_or_default();
    let layout = KeymapLayout {
        rules: next(),
        model: next(),
        layout: next(),
        variant: next(),
        options: next(),
    };
    (!layout.layout.is_empty()).then_some(layout)
}

/// The layout in effect on the X display `display`, if it can be read.
pub fn x11_keymap(display: &str) -> Option<KeymapLayout> {
    let (conn, screen) = x11rb::connect(Some(display)).ok()?;
    let root = conn.setup().roots.get(screen)?.root;
    let atom = conn
        .intern_atom(true, b"_XKB_RULES_NAMES")
        .ok()?
        .reply()
        .ok()?
        .atom;
    if atom == 0 {
        return None;
    }
    let reply = conn
        .get_property(false, root, atom, AtomEnum::STRING, 0, 1024)
        .ok()?
        .reply()
        .ok()?;
    parse_rules_names(&reply.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_five_names_are_read_in_order() {
        let layout =
            parse_rules_names(b"evdev\0pc105\0de,us\0nodeadkeys,\0grp:alt_shift_toggle\0").unwrap();
        assert_eq!(layout.rules, "evdev");
        assert_eq!(layout.model, "pc105");
        assert_eq!(layout.layout, "de,us");
        assert_eq!(layout.variant, "nodeadkeys,");
        assert_eq!(layout.options, "grp:alt_shift_toggle");
        assert_eq!(parse_rules_names(b"evdev\0pc105\0\0\0\0"), None);
        assert_eq!(parse_rules_names(b""), None);
    }
}
