//! The binary answers `--help` and `--version`.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_wayray-client");

#[test]
fn help_and_version() {
    let help = Command::new(BIN).arg("--help").output().unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("Usage: wayray-client"));
    let version = Command::new(BIN).arg("--version").output().unwrap();
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        concat!("wayray-client ", env!("CARGO_PKG_VERSION"))
    );
}
