//! A page's text where it does not need OCR: the PDF's own text layer ([`layer`]), the per-page decision
//! between it and OCR ([`route`]), and how close one text is to another ([`score`]).

pub mod layer;
pub mod route;
pub mod score;

pub use layer::TextLayer;
pub use route::{decide, Route, RouteCounts, RouteDecision, RouteParams, TextLayerMode};
