//! Content type for tests: a surface that says it shows video (wp_content_type_v1).

use wayland_protocols::wp::content_type::v1::client::{
    wp_content_type_manager_v1, wp_content_type_v1,
};

use super::{ShmSurface, WlClient};

impl WlClient {
    /// Says `surface` shows video, from its next commit on.
    pub fn mark_video(&mut self, surface: &ShmSurface) {
        let manager: wp_content_type_manager_v1::WpContentTypeManagerV1 = self
            .globals
            .bind(&self.qh, 1..=1, ())
            .expect("wp_content_type_manager_v1");
        let content = manager.get_surface_content_type(&surface.surface, &self.qh, ());
        content.set_content_type(wp_content_type_v1::Type::Video);
        self.roundtrip();
    }
}
