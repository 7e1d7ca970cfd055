//! How much colour an H.264 stream keeps (docs/adr/0040-full-chroma-video.md).

/// The chroma format of an H.264 stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Chroma {
    /// 4:2:0: colour at half the resolution each way (every decoder takes it).
    #[default]
    Half,
    /// 4:4:4 (High 4:4:4 Predictive): colour at full resolution, for sharp coloured edges;
    /// a viewer decodes it where it announces `h264-444`.
    Full,
}
