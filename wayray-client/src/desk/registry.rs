//! xkeyboard-config's registry (`rules/evdev.xml`): the name and description of every layout
//! and variant. A compiled keymap keeps only the descriptions of its groups ("German (no dead
//! keys)"); the registry turns them back into names (`de`, `nodeadkeys`).

use std::collections::HashMap;
use std::path::PathBuf;

use quick_xml::events::Event;

/// Layout and variant names (the variant empty for a plain layout) by description.
pub type Names = HashMap<String, (String, String)>;

/// The registry file of this machine's xkb data (`XKB_CONFIG_ROOT` or the usual place).
pub fn default_path() -> PathBuf {
    std::env::var_os("XKB_CONFIG_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/X11/xkb"))
        .join("rules/evdev.xml")
}

/// Reads a registry; `None` if it cannot be read or is not well-formed.
pub fn parse(xml: &str) -> Option<Names> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let (mut layout, mut variant) = (String::new(), String::new());
    let mut names = Names::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(start) => {
                path.push(String::from_utf8_lossy(start.name().as_ref()).into_owned());
                text.clear();
            }
            Event::Text(chunk) => text.push_str(&chunk.decode().ok()?),
            Event::GeneralRef(reference) => {
                text.push_str(match reference.decode().ok()?.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "apos" => "'",
                    "quot" => "\"",
                    _ => "",
                })
            }
            Event::End(_) => {
                let tail: Vec<&str> = path.iter().rev().take(4).map(String::as_str).collect();
                match tail.as_slice() {
                    ["name", "configItem", "layout", ..] => {
                        layout = text.trim().to_owned();
                    }
                    ["description", "configItem", "layout", ..] => {
                        names
                            .entry(text.trim().to_owned())
                            .or_insert_with(|| (layout.clone(), String::new()));
                    }
                    ["name", "configItem", "variant", "variantList"] => {
                        variant = text.trim().to_owned();
                    }
                    ["description", "configItem", "variant", "variantList"] => {
                        names
                            .entry(text.trim().to_owned())
                            .or_insert_with(|| (layout.clone(), variant.clone()));
                    }
                    _ => {}
                }
                path.pop();
                text.clear();
            }
            Event::Eof => return Some(names),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<?xml version="1.0"?>
<xkbConfigRegistry version="1.1">
  <layoutList>
    <layout>
      <configItem>
        <name>de</name>
        <!-- Keyboard indicator for German layouts -->
        <shortDescription>de</shortDescription>
        <description>German</description>
      </configItem>
      <variantList>
        <variant>
          <configItem>
            <name>nodeadkeys</name>
            <description>German (no dead keys)</description>
          </configItem>
        </variant>
      </variantList>
    </layout>
    <layout>
      <configItem>
        <name>gb</name>
        <description>English (UK)</description>
      </configItem>
      <variantList>
        <variant>
          <configItem>
            <name>mac</name>
            <description>English (UK, Macintosh &amp; more)</description>
          </configItem>
        </variant>
      </variantList>
    </layout>
  </layoutList>
</xkbConfigRegistry>"#;

    #[test]
    fn layouts_and_variants_are_found_by_description() {
        let names = parse(SAMPLE).unwrap();
        let pair = |a: &str, b: &str| Some((a.to_owned(), b.to_owned()));
        assert_eq!(names.get("German").cloned(), pair("de", ""));
        assert_eq!(
            names.get("German (no dead keys)").cloned(),
            pair("de", "nodeadkeys")
        );
        assert_eq!(
            names.get("English (UK, Macintosh & more)").cloned(),
            pair("gb", "mac")
        );
        assert_eq!(names.len(), 4);
        assert_eq!(parse("<a><b></a>"), None);
    }

    #[test]
    fn this_machines_registry_knows_the_us_layout() {
        let Ok(xml) = std::fs::read_to_string(default_path()) else {
            assert!(std::env::var("CI").is_err(), "CI installs xkb-data");
            return;
        };
        let names = parse(&xml).expect("a well-formed registry");
        assert_eq!(
            names.get("English (US)").cloned(),
            Some(("us".to_owned(), String::new()))
        );
    }
}
