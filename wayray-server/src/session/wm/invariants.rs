//! Self-check of the policy's internal consistency.
//!
//! Owns the list of invariants. Must never mutate state; it is called by the
//! tests after every single operation and may be called from debug builds
//! of the compositor.

use super::gesture::GrabKind;
use super::manager::WindowManager;
use super::window::WmWindow;

impl<W: WmWindow> WindowManager<W> {
    /// Panics with a description if any invariant is broken. Quadratic in
    /// the number of windows: meant for tests and debug assertions.
    pub fn verify_invariants(&self) {
        let output = self.output_rect();
        assert!(output.size.is_positive(), "output {output:?} is empty");

        for (i, m) in self.stack.iter().enumerate() {
            let dup = self.stack[i + 1..].iter().any(|o| o.window == m.window);
            assert!(!dup, "{:?} is stacked twice", m.window);
            assert!(
                m.geometry.size.is_positive(),
                "{:?} has degenerate geometry {:?}",
                m.window,
                m.geometry
            );
            if m.is_floating() {
                assert!(m.restore.is_none(), "{:?} floating with restore", m.window);
                assert!(
                    m.geometry.intersects(&output),
                    "{:?} at {:?} is off the output",
                    m.window,
                    m.geometry
                );
            } else {
                let pinned = if m.fullscreen {
                    output
                } else {
                    self.work_area()
                };
                assert_eq!(m.geometry, pinned, "{:?} must cover its area", m.window);
                let restore = m.restore.unwrap_or_default();
                assert!(
                    restore.size.is_positive(),
                    "{:?} lost its floating geometry",
                    m.window
                );
            }
        }

        // Focus is derived, never stored independently: the topmost acked
        // window, which also guarantees no unacked window ever has focus.
        let expected = self.stack.iter().rev().find(|m| m.acked).map(|m| &m.window);
        assert_eq!(
            self.focus.as_ref(),
            expected,
            "focus is not the topmost acked window"
        );

        if let Some(grab) = &self.grab {
            let idx = self.index_of(&grab.window);
            assert!(idx.is_some(), "grab on unmanaged {:?}", grab.window);
            if let Some(idx) = idx {
                assert!(
                    grab.kind == GrabKind::Hold || self.stack[idx].is_floating(),
                    "{:?} is moved/resized while not floating",
                    grab.window
                );
            }
        }
    }
}
