//! The layout of a Wayland desk: its compositor sends every client the keymap in effect, as
//! compiled xkb text. The text keeps the description of each group ("German (no dead keys)"),
//! which xkeyboard-config's registry turns back into layout and variant names. Options and
//! the model are not recoverable from it; the session uses its defaults for them.

use std::os::unix::fs::FileExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use wayland_client::globals::{GlobalListContents, registry_queue_init};
use wayland_client::protocol::{wl_keyboard, wl_registry, wl_seat};
use wayland_client::{Connection, Dispatch, Proxy, QueueHandle, WEnum};
use wayray_protocol::messages::input::KeymapLayout;

use super::registry::{self, Names};

/// Keymaps are tens of kilobytes; anything far larger is not one.
const MAX_KEYMAP: u32 = 4 << 20;

/// The layouts of a compiled keymap, from its groups' names (`name[Group1]="German";`) and
/// the registry's names for them; `None` when a group's name is unknown.
pub fn layout_from_keymap(keymap: &str, names: &Names) -> Option<KeymapLayout> {
    let symbols = &keymap[keymap.find("xkb_symbols")?..];
    let mut groups: Vec<(u32, &str)> = Vec::new();
    for line in symbols.lines() {
        let Some(rest) = line.trim().strip_prefix("name[") else {
            continue;
        };
        let Some((group, value)) = rest.split_once(']') else {
            continue;
        };
        let Some(number) = group
            .to_ascii_lowercase()
            .strip_prefix("group")
            .and_then(|n| n.parse().ok())
        else {
            continue;
        };
        let value = value
            .trim()
            .trim_start_matches('=')
            .trim()
            .trim_end_matches(';');
        groups.push((number, value.trim().trim_matches('"')));
    }
    groups.sort_by_key(|(number, _)| *number);
    let mut layouts = Vec::new();
    let mut variants = Vec::new();
    for (_, description) in groups {
        let (layout, variant) = names.get(description)?;
        layouts.push(layout.as_str());
        variants.push(variant.as_str());
    }
    if layouts.is_empty() {
        return None;
    }
    let variant = if variants.iter().all(|v| v.is_empty()) {
        String::new()
    } else {
        variants.join(",")
    };
    Some(KeymapLayout {
        layout: layouts.join(","),
        variant,
        ..KeymapLayout::default()
    })
}

#[derive(Default)]
struct Seat {
    keyboard: bool,
    keymap: Option<String>,
}

/// The socket of the Wayland desk named by `WAYLAND_DISPLAY` (a path, or a name in
/// `XDG_RUNTIME_DIR`).
pub fn socket_from_env() -> Option<PathBuf> {
    let display = PathBuf::from(std::env::var_os("WAYLAND_DISPLAY").filter(|d| !d.is_empty())?);
    if display.is_absolute() {
        return Some(display);
    }
    Some(PathBuf::from(std::env::var_os("XDG_RUNTIME_DIR")?).join(display))
}

/// The layout of the Wayland desk listening on `socket`, if it can be read.
pub fn wayland_keymap(socket: &Path) -> Option<KeymapLayout> {
    let stream = UnixStream::connect(socket).ok()?;
    let connection = Connection::from_socket(stream).ok()?;
    let (globals, mut queue) = registry_queue_init::<Seat>(&connection).ok()?;
    let handle = queue.handle();
    let seat: wl_seat::WlSeat = globals.bind(&handle, 1..=7, ()).ok()?;
    let mut state = Seat::default();
    queue.roundtrip(&mut state).ok()?;
    if !state.keyboard {
        return None;
    }
    let keyboard = seat.get_keyboard(&handle, ());
    queue.roundtrip(&mut state).ok()?;
    if seat.version() >= 3 {
        keyboard.release();
    }
    let names = registry::parse(&std::fs::read_to_string(registry::default_path()).ok()?)?;
    layout_from_keymap(&state.keymap?, &names)
}

impl Dispatch<wl_registry::WlRegistry, GlobalListContents> for Seat {
    fn event(
        _: &mut Self,
        _: &wl_registry::WlRegistry,
        _: wl_registry::Event,
        _: &GlobalListContents,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
    }
}

impl Dispatch<wl_seat::WlSeat, ()> for Seat {
    fn event(
        state: &mut Self,
        _: &wl_seat::WlSeat,
        event: wl_seat::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_seat::Event::Capabilities {
            capabilities: WEnum::Value(capabilities),
        } = event
        {
            state.keyboard = capabilities.contains(wl_seat::Capability::Keyboard);
        }
    }
}

impl Dispatch<wl_keyboard::WlKeyboard, ()> for Seat {
    fn event(
        state: &mut Self,
        _: &wl_keyboard::WlKeyboard,
        event: wl_keyboard::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_keyboard::Event::Keymap {
            format: WEnum::Value(wl_keyboard::KeymapFormat::XkbV1),
            fd,
            size,
        } = event
            && size <= MAX_KEYMAP
        {
            // Read at an offset: the file may be shared with other clients.
            let file = std::fs::File::from(fd);
            let mut text = vec![0; size as usize];
            if file.read_exact_at(&mut text, 0).is_ok() {
                let end = text.iter().position(|b| *b == 0).unwrap_or(text.len());
                state.keymap = Some(String::from_utf8_lossy(&text[..end]).into_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keymap(groups: &[&str]) -> String {
        let mut text = String::from("xkb_keymap {\nxkb_symbols \"(unnamed)\" {\n");
        for (i, name) in groups.iter().enumerate() {
            text.push_str(&format!("\tname[Group{}]=\"{name}\";\n", i + 1));
        }
        text + "\tkey <AE01> { [ 1, exclam ] };\n};\n};\n"
    }

    #[test]
    fn layouts_and_variants_come_from_the_group_names() {
        let names: Names = [
            ("English (US)", ("us", "")),
            ("German (no dead keys)", ("de", "nodeadkeys")),
            ("Russian (phonetic)", ("ru", "phonetic")),
        ]
        .into_iter()
        .map(|(d, (l, v))| (d.to_owned(), (l.to_owned(), v.to_owned())))
        .collect();
        let read = |groups: &[&str]| {
            layout_from_keymap(&keymap(groups), &names).map(|l| (l.layout, l.variant))
        };
        let pair = |a: &str, b: &str| Some((a.to_owned(), b.to_owned()));
        assert_eq!(read(&["English (US)"]), pair("us", ""));
        assert_eq!(
            read(&["German (no dead keys)", "English (US)"]),
            pair("de,us", "nodeadkeys,")
        );
        assert_eq!(
            read(&["English (US)", "Russian (phonetic)"]),
            pair("us,ru", ",phonetic")
        );
        assert_eq!(read(&["Klingon"]), None, "an unknown group");
        assert_eq!(read(&[]), None);
        assert_eq!(layout_from_keymap("no keymap here", &names), None);
    }
}
