//! The ocr stage (being written).
