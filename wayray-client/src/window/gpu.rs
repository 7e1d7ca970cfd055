//! The GPU side of the window: a texture that mirrors the session output, updated only where
//! frames changed it, and copied to the window's surface on each redraw (with vsync). The stats
//! overlay, when shown, is a second small texture copied over the top-left corner.

use std::sync::Arc;

use wayray_protocol::Rect;
use winit::window::Window;

/// Surface, device and the mirror texture.
pub struct Gpu {
    surface: wgpu::Surface<'static>,
    device: wgpu::Device,
    queue: wgpu::Queue,
    config: wgpu::SurfaceConfiguration,
    mirror: Option<(wgpu::Texture, u32, u32)>,
    overlay: Option<(wgpu::Texture, u32, u32)>,
}

/// Where the overlay's top-left corner goes in the window.
const OVERLAY_MARGIN: u32 = 8;

/// Setting up the GPU failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot use the GPU for the window: {0}")]
pub struct GpuError(pub String);

impl Gpu {
    /// Sets up rendering into `window`.
    pub fn new(window: Arc<Window>) -> Result<Self, GpuError> {
        let size = window.inner_size();
        let (surface, adapter, device, queue) = open(window)?;
        let caps = surface.get_capabilities(&adapter);
        // The mirror is BGRA; a copy needs the same format up to sRGB-ness.
        let format = caps
            .formats
            .iter()
            .copied()
            .find(|f| matches!(f, wgpu::TextureFormat::Bgra8Unorm))
            .or_else(|| {
                caps.formats
                    .iter()
                    .copied()
                    .find(|f| matches!(f, wgpu::TextureFormat::Bgra8UnormSrgb))
            })
            .ok_or_else(|| GpuError(format!("no BGRA surface format in {:?}", caps.formats)))?;
        if !caps.usages.contains(wgpu::TextureUsages::COPY_DST) {
            return Err(GpuError("the surface cannot be copied into".into()));
        }
        let usage = wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_DST;
        let config = surface_config(format, usage, size);
        surface.configure(&device, &config);
        Ok(Self {
            surface,
            device,
            queue,
            config,
            mirror: None,
            overlay: None,
        })
    }

    /// The largest texture side this GPU takes.
    pub fn max_side(&self) -> u32 {
        self.device.limits().max_texture_dimension_2d
    }

    /// The window was resized.
    pub fn resize(&mut self, width: u32, height: u32) {
        self.config.width = width.clamp(1, self.max_side());
        self.config.height = height.clamp(1, self.max_side());
        self.surface.configure(&self.device, &self.config);
    }

    fn texture(&self, label: &str, width: u32, height: u32) -> wgpu::Texture {
        self.device.create_texture(&wgpu::TextureDescriptor {
            label: Some(label),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::Bgra8Unorm,
            usage: wgpu::TextureUsages::COPY_DST | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        })
    }

    fn write(&self, texture: &wgpu::Texture, pixels: &[u8], width: u32, height: u32, rect: Rect) {
        let offset = (rect.y as u64 * width as u64 + rect.x as u64) * 4;
        self.queue.write_texture(
            wgpu::TexelCopyTextureInfo {
                texture,
                mip_level: 0,
                origin: wgpu::Origin3d {
                    x: rect.x,
                    y: rect.y,
                    z: 0,
                },
                aspect: wgpu::TextureAspect::All,
            },
            pixels,
            wgpu::TexelCopyBufferLayout {
                offset,
                bytes_per_row: Some(width * 4),
                rows_per_image: Some(height),
            },
            wgpu::Extent3d {
                width: rect.width,
                height: rect.height,
                depth_or_array_layers: 1,
            },
        );
    }

    /// Shows `image` (opaque BGRA, width, height) as the overlay, or no overlay.
    pub fn set_overlay(&mut self, image: Option<(&[u8], u32, u32)>) {
        let Some((pixels, width, height)) = image.filter(|(_, w, h)| *w > 0 && *h > 0) else {
            self.overlay = None;
            return;
        };
        if !matches!(&self.overlay, Some((_, w, h)) if (*w, *h) == (width, height)) {
            self.overlay = Some((self.texture("wayray-overlay", width, height), width, height));
        }
        if let Some((texture, _, _)) = &self.overlay {
            self.write(
                texture,
                pixels,
                width,
                height,
                Rect::new(0, 0, width, height),
            );
        }
    }

    /// Uploads `rects` of `pixels` (tightly packed BGRA, `width` × `height`) to the mirror.
    pub fn upload(&mut self, pixels: &[u8], width: u32, height: u32, rects: &[Rect]) {
        if width > self.max_side() || height > self.max_side() {
            // The server may send any size the protocol allows; this GPU cannot hold it.
            tracing::warn!(
                width,
                height,
                max = self.max_side(),
                "session output too large for this GPU; not shown"
            );
            self.mirror = None;
            return;
        }
        let fresh = !matches!(&self.mirror, Some((_, w, h)) if (*w, *h) == (width, height));
        if fresh {
            self.mirror = Some((self.texture("wayray-mirror", width, height), width, height));
        }
        let Some((texture, _, _)) = &self.mirror else {
            return;
        };
        let full = [Rect::new(0, 0, width, height)];
        for rect in if fresh { &full[..] } else { rects } {
            self.write(texture, pixels, width, height, *rect);
        }
    }

    /// Copies the mirror to the window and presents it.
    pub fn present(&mut self) {
        let frame = match self.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(frame)
            | wgpu::CurrentSurfaceTexture::Suboptimal(frame) => frame,
            wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Lost => {
                self.surface.configure(&self.device, &self.config);
                return;
            }
            _ => return,
        };
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        if let Some((texture, width, height)) = &self.mirror {
            let size = wgpu::Extent3d {
                width: (*width).min(self.config.width),
                height: (*height).min(self.config.height),
                depth_or_array_layers: 1,
            };
            encoder.copy_texture_to_texture(
                texture.as_image_copy(),
                frame.texture.as_image_copy(),
                size,
            );
        }
        if let Some((texture, width, height)) = &self.overlay {
            let room = |window: u32| window.saturating_sub(OVERLAY_MARGIN);
            let size = wgpu::Extent3d {
                width: (*width).min(room(self.config.width)),
                height: (*height).min(room(self.config.height)),
                depth_or_array_layers: 1,
            };
            if size.width > 0 && size.height > 0 {
                let mut target = frame.texture.as_image_copy();
                target.origin = wgpu::Origin3d {
                    x: OVERLAY_MARGIN,
                    y: OVERLAY_MARGIN,
                    z: 0,
                };
                encoder.copy_texture_to_texture(texture.as_image_copy(), target, size);
            }
        }
        self.queue.submit([encoder.finish()]);
        self.queue.present(frame);
    }
}

/// A window surface's settings: vsync, at most two frames queued.
pub fn surface_config(
    format: wgpu::TextureFormat,
    usage: wgpu::TextureUsages,
    size: winit::dpi::PhysicalSize<u32>,
) -> wgpu::SurfaceConfiguration {
    wgpu::SurfaceConfiguration {
        usage,
        format,
        color_space: wgpu::SurfaceColorSpace::Auto,
        width: size.width.max(1),
        height: size.height.max(1),
        desired_maximum_frame_latency: 2,
        present_mode: wgpu::PresentMode::Fifo,
        alpha_mode: wgpu::CompositeAlphaMode::Auto,
        view_formats: vec![],
    }
}

/// A surface on `window`, with an adapter that can draw to it and its device and queue.
pub fn open(
    window: Arc<Window>,
) -> Result<
    (
        wgpu::Surface<'static>,
        wgpu::Adapter,
        wgpu::Device,
        wgpu::Queue,
    ),
    GpuError,
> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_with_display_handle_from_env(
        Box::new(window.clone()),
    ));
    let surface = instance
        .create_surface(window)
        .map_err(|e| GpuError(e.to_string()))?;
    let adapter = pollster(instance.request_adapter(&wgpu::RequestAdapterOptions {
        compatible_surface: Some(&surface),
        ..Default::default()
    }))
    .map_err(|e| GpuError(e.to_string()))?;
    // The adapter's own limits, not wgpu's conservative defaults: a session output may be
    // larger than 8192 pixels on a side where the GPU allows it.
    let (device, queue) = pollster(adapter.request_device(&wgpu::DeviceDescriptor {
        required_limits: adapter.limits(),
        ..Default::default()
    }))
    .map_err(|e| GpuError(e.to_string()))?;
    Ok((surface, adapter, device, queue))
}

/// Runs a future to completion on this thread (wgpu's setup futures resolve at once natively).
fn pollster<F: std::future::Future>(future: F) -> F::Output {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}
