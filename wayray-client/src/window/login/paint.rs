//! Drawing the login form: egui's shapes rendered with egui-wgpu into the window's surface.
//! The session's own renderer ([`super::super::gpu`]) takes the window over after the login.

use std::sync::Arc;

use winit::window::Window;

use super::super::gpu::{self, GpuError};

/// The login screen's surface, device and egui renderer.
pub struct Painter {
    surface: wgpu::Surface<'static>,
    device: wgpu::Device,
    queue: wgpu::Queue,
    config: wgpu::SurfaceConfiguration,
    renderer: egui_wgpu::Renderer,
}

impl Painter {
    /// Sets up drawing into `window`.
    pub fn new(window: Arc<Window>) -> Result<Self, GpuError> {
        let size = window.inner_size();
        let (surface, adapter, device, queue) = gpu::open(window)?;
        let caps = surface.get_capabilities(&adapter);
        // egui blends in gamma space: a non-sRGB format shows its colours as designed.
        let format = caps
            .formats
            .iter()
            .copied()
            .find(|f| !f.is_srgb())
            .or_else(|| caps.formats.first().copied())
            .ok_or_else(|| GpuError("the surface offers no format".into()))?;
        let config = gpu::surface_config(format, wgpu::TextureUsages::RENDER_ATTACHMENT, size);
        surface.configure(&device, &config);
        let renderer =
            egui_wgpu::Renderer::new(&device, format, egui_wgpu::RendererOptions::default());
        Ok(Self {
            surface,
            device,
            queue,
            config,
            renderer,
        })
    }

    /// The window was resized.
    pub fn resize(&mut self, width: u32, height: u32) {
        self.config.width = width.max(1);
        self.config.height = height.max(1);
        self.surface.configure(&self.device, &self.config);
    }

    /// Draws one egui frame and presents it.
    pub fn paint(&mut self, ctx: &egui::Context, output: egui::FullOutput) {
        let egui::FullOutput {
            mut textures_delta,
            shapes,
            pixels_per_point,
            ..
        } = output;
        // Textures change whether or not this frame reaches the screen.
        for (id, deltas) in textures_delta.set.drain() {
            for delta in &deltas {
                self.renderer
                    .update_texture(&self.device, &self.queue, id, delta);
            }
        }
        let freed = std::mem::take(&mut textures_delta.free);
        self.present(ctx.tessellate(shapes, pixels_per_point), pixels_per_point);
        for id in &freed {
            self.renderer.free_texture(id);
        }
    }

    fn present(&mut self, jobs: Vec<egui::ClippedPrimitive>, pixels_per_point: f32) {
        let screen = egui_wgpu::ScreenDescriptor {
            size_in_pixels: [self.config.width, self.config.height],
            pixels_per_point,
        };
        let frame = match self.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(frame)
            | wgpu::CurrentSurfaceTexture::Suboptimal(frame) => frame,
            wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Lost => {
                self.surface.configure(&self.device, &self.config);
                return;
            }
            _ => return,
        };
        let view = frame
            .texture
            .create_view(&wgpu::TextureViewDescriptor::default());
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        let mut buffers =
            self.renderer
                .update_buffers(&self.device, &self.queue, &mut encoder, &jobs, &screen);
        {
            let pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("wayray-login"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: &view,
                    resolve_target: None,
                    depth_slice: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color {
                            r: 0.08,
                            g: 0.09,
                            b: 0.11,
                            a: 1.0,
                        }),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                ..Default::default()
            });
            self.renderer
                .render(&mut pass.forget_lifetime(), &jobs, &screen);
        }
        buffers.push(encoder.finish());
        self.queue.submit(buffers);
        self.queue.present(frame);
    }
}
