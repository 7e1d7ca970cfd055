//! WayRay's fuzz targets (see README.md).

pub mod checks;
