//! Embeddings: region text cut into chunks of at most `max_tokens` tokens, embedded with all-MiniLM-L6-v2.
//!
//! The ONNX model is made from the shipped safetensors by `models/convert.sh` and returns token embeddings;
//! this stage does what sentence-transformers does after the transformer: mean pooling over the attention
//! mask, then L2 normalisation. Chunks are sorted by length before batching so a batch pads to similar
//! lengths instead of to the longest chunk of the page, and a batch of long chunks holds fewer of them
//! (see [`TOKENS_PER_BATCH_SLOT`]).

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use ort::value::TensorRef;
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use super::Chunk;
use crate::models::{ModelHub, ModelId};
use crate::{native, Error, Result};

pub const EMBEDDING_DIM: usize = 384;

/// A batch of `batch_size` chunks holds at most `batch_size` times this many tokens, padding included:
/// attention's working memory grows with the square of a chunk's length, so a page of long chunks would
/// otherwise need several times the memory of a page of short ones at the same batch size.
pub const TOKENS_PER_BATCH_SLOT: usize = 128;

#[derive(Debug, Clone, Copy)]
pub struct EmbedOptions {
    /// Longest chunk in tokens, [CLS] and [SEP] included. MiniLM was trained on 256; the model accepts 512.
    pub max_tokens: usize,
    /// Tokens repeated at the start of a chunk from the end of the previous one, so a sentence cut at a
    /// chunk boundary is still whole in one of them.
    pub overlap_tokens: usize,
    /// Chunks per model call, at most; a batch also holds at most `batch_size` × [`TOKENS_PER_BATCH_SLOT`]
    /// tokens.
    pub batch_size: usize,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        EmbedOptions { max_tokens: 256, overlap_tokens: 32, batch_size: 16 }
    }
}

pub struct EmbedStage {
    hub: Arc<ModelHub>,
    options: EmbedOptions,
    /// Changeable while a job runs; read at each batch.
    batch_size: AtomicUsize,
    tokenizer: OnceLock<std::result::Result<Tokenizer, String>>,
}

impl EmbedStage {
    pub fn new(hub: Arc<ModelHub>, options: EmbedOptions) -> Self {
        EmbedStage { hub, batch_size: AtomicUsize::new(options.batch_size.max(1)), options, tokenizer: OnceLock::new() }
    }

    pub fn set_batch_size(&self, size: usize) {
        self.batch_size.store(size.max(1), Ordering::Relaxed);
    }

    fn tokenizer(&self) -> Result<&Tokenizer> {
        let loaded = self.tokenizer.get_or_init(|| {
            let path = native::verified_path("embedding_tokenizer").map_err(|e| e.to_string())?;
            let mut tokenizer = Tokenizer::from_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            // The shipped tokenizer pads and truncates every input to 128; chunking and batching here decide.
            tokenizer.with_padding(None);
            tokenizer.with_truncation(None).map_err(|e| e.to_string())?;
            Ok(tokenizer)
        });
        loaded.as_ref().map_err(|detail| Error::Inference { model: "embedding", detail: detail.clone() })
    }

    /// Splits `text` into chunks of at most `max_tokens` tokens (special tokens included) with overlap,
    /// cutting only at token boundaries and returning the original text of each chunk.
    pub fn chunk(&self, text: &str) -> Result<Vec<String>> {
        let tokenizer = self.tokenizer()?;
        let encoding = tokenizer
            .encode(text, false)
            .map_err(|e| Error::Inference { model: "embedding", detail: e.to_string() })?;
        let offsets = encoding.get_offsets();
        let windows = token_windows(offsets.len(), self.options.max_tokens.saturating_sub(2).max(1), self.options.overlap_tokens);
        Ok(windows
            .into_iter()
            .map(|w| text[offsets[w.start].0..offsets[w.end - 1].1].trim().to_string())
            .filter(|t| !t.is_empty())
            .collect())
    }

    /// One 384-d unit vector per text, in the order given.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let mut tokenizer = self.tokenizer()?.clone();
        tokenizer
            .with_truncation(Some(TruncationParams {
                direction: TruncationDirection::Right,
                max_length: self.options.max_tokens,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
            }))
            .map_err(|e| Error::Inference { model: "embedding", detail: e.to_string() })?;
        let encodings = tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| Error::Inference { model: "embedding", detail: e.to_string() })?;
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| encodings[i].get_ids().len());

        let model = self.hub.get(ModelId::Embedding)?;
        let mut out = vec![Vec::new(); texts.len()];
        let lengths: Vec<usize> = order.iter().map(|&i| encodings[i].get_ids().len()).collect();
        let mut start = 0;
        for size in token_batches(&lengths, self.batch_size.load(Ordering::Relaxed).max(1)) {
            let batch = &order[start..start + size];
            // Sorted by length: the batch pads to its last chunk.
            let seq = lengths[start + size - 1].max(1);
            start += size;
            let n = batch.len();
            let mut ids = vec![0i64; n * seq];
            let mut mask = vec![0i64; n * seq];
            let types = vec![0i64; n * seq];
            for (row, &i) in batch.iter().enumerate() {
                for (col, &id) in encodings[i].get_ids().iter().enumerate() {
                    ids[row * seq + col] = id as i64;
                    mask[row * seq + col] = 1;
                }
            }
            let hidden = model.run(|session, options| {
                let outputs = session.run_with_options(ort::inputs![
                    "input_ids" => TensorRef::from_array_view(([n, seq], &ids[..]))?,
                    "attention_mask" => TensorRef::from_array_view(([n, seq], &mask[..]))?,
                    "token_type_ids" => TensorRef::from_array_view(([n, seq], &types[..]))?,
                ], options)?;
                let (_, values) = outputs[0].try_extract_tensor::<f32>()?;
                Ok(values.to_vec())
            })?;
            for (row, &i) in batch.iter().enumerate() {
                out[i] = mean_pool_normalized(&hidden[row * seq * EMBEDDING_DIM..(row + 1) * seq * EMBEDDING_DIM], &mask[row * seq..(row + 1) * seq]);
            }
        }
        Ok(out)
    }

    /// Chunks every text and embeds the chunks; each chunk's `region` is the index in `texts` of the text
    /// it came from.
    pub fn run(&self, texts: &[String]) -> Result<Vec<Chunk>> {
        let (mut chunks, mut from) = (Vec::new(), Vec::new());
        for (i, text) in texts.iter().enumerate() {
            for chunk in self.chunk(text)? {
                chunks.push(chunk);
                from.push(i);
            }
        }
        let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
        let embeddings = self.embed(&refs)?;
        Ok(chunks.into_iter().zip(embeddings).zip(from).map(|((text, embedding), i)| Chunk { text, embedding, region: Some(i) }).collect())
    }
}

/// Sizes of consecutive batches over chunks of `lengths` tokens (sorted, shortest first): at most
/// `batch_size` chunks each, and, padded to their longest, at most `batch_size` × [`TOKENS_PER_BATCH_SLOT`]
/// tokens (a single chunk always makes a batch).
fn token_batches(lengths: &[usize], batch_size: usize) -> Vec<usize> {
    let budget = batch_size * TOKENS_PER_BATCH_SLOT;
    let mut sizes = Vec::new();
    let mut count = 0;
    for &length in lengths {
        // Sorted: this chunk is the longest so far, so the batch would pad to it.
        if count > 0 && (count == batch_size || (count + 1) * length.max(1) > budget) {
            sizes.push(count);
            count = 0;
        }
        count += 1;
    }
    if count > 0 {
        sizes.push(count);
    }
    sizes
}

/// Token ranges of at most `size` with `overlap` tokens shared between neighbours, covering `0..len`.
pub fn token_windows(len: usize, size: usize, overlap: usize) -> Vec<Range<usize>> {
    let step = size.saturating_sub(overlap).max(1);
    let mut windows = Vec::new();
    let mut start = 0;
    while start < len {
        let end = (start + size).min(len);
        windows.push(start..end);
        if end == len {
            break;
        }
        start += step;
    }
    windows
}

/// Mean of the token vectors where the mask is 1, scaled to unit length.
pub fn mean_pool_normalized(hidden: &[f32], mask: &[i64]) -> Vec<f32> {
    let mut sum = vec![0f32; EMBEDDING_DIM];
    let mut count = 0f32;
    for (token, &m) in hidden.chunks_exact(EMBEDDING_DIM).zip(mask) {
        if m != 0 {
            count += 1.0;
            for (s, v) in sum.iter_mut().zip(token) {
                *s += v;
            }
        }
    }
    let count = count.max(1e-9);
    sum.iter_mut().for_each(|s| *s /= count);
    let norm = sum.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
    sum.iter_mut().for_each(|s| *s /= norm);
    sum
}

/// Cosine similarity of two unit vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_of_long_chunks_holds_fewer_of_them() {
        // Batch size 4: up to 512 tokens a batch. Short chunks go four at a time; 200-token chunks two.
        let lengths = [10, 12, 30, 40, 50, 200, 200, 200, 256, 300];
        assert_eq!(token_batches(&lengths, 4), [4, 2, 2, 1, 1]);
        assert_eq!(token_batches(&lengths, 1), vec![1; 10]);
        assert_eq!(token_batches(&[], 4), Vec::<usize>::new());
        // A chunk longer than the whole budget still goes, alone.
        assert_eq!(token_batches(&[5, 2000], 1), [1, 1]);
        let sizes = token_batches(&lengths, 4);
        assert_eq!(sizes.iter().sum::<usize>(), lengths.len(), "every chunk in one batch");
    }

    #[test]
    fn windows_cover_everything_with_overlap() {
        assert_eq!(token_windows(0, 10, 2), Vec::<Range<usize>>::new());
        assert_eq!(token_windows(7, 10, 2), vec![0..7]);
        assert_eq!(token_windows(20, 10, 2), vec![0..10, 8..18, 16..20]);
        for w in token_windows(1000, 254, 32) {
            assert!(w.len() <= 254);
        }
    }

    #[test]
    fn pooling_ignores_padding_and_normalises() {
        let mut hidden = vec![0f32; 3 * EMBEDDING_DIM];
        hidden[0] = 3.0; // token 0
        hidden[EMBEDDING_DIM + 1] = 4.0; // token 1
        hidden[2 * EMBEDDING_DIM + 2] = 100.0; // padding
        let v = mean_pool_normalized(&hidden, &[1, 1, 0]);
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6 && v[2] == 0.0);
    }
}
