//! The embedding stage with the real MiniLM ONNX model and tokenizer.

use std::sync::Arc;

use folio_engine::models::{ModelHub, ModelId, SessionOptions};
use folio_engine::memory::MemoryGauges;
use folio_engine::stages::embed::{cosine, EmbedOptions, EmbedStage, EMBEDDING_DIM};

fn stage(options: EmbedOptions) -> EmbedStage {
    let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::new(MemoryGauges::default())));
    EmbedStage::new(hub, options)
}

#[test]
fn paraphrases_score_higher_than_unrelated_pairs() {
    let stage = stage(EmbedOptions::default());
    let paraphrases = [
        ("The invoice is due in thirty days.", "Payment of the bill is expected within a month."),
        ("The cat sat on the mat.", "A cat was sitting on the rug."),
        ("Memory use stays flat over thousands of pages.", "RAM consumption does not grow as more pages are processed."),
        ("How do I reset my password?", "What are the steps to change my login password?"),
        ("The train to Berlin leaves at nine.", "At 9 o'clock the Berlin train departs."),
    ];
    let unrelated = [
        ("The invoice is due in thirty days.", "Penguins live in the southern hemisphere."),
        ("The cat sat on the mat.", "Quarterly revenue rose by four percent."),
        ("Memory use stays flat over thousands of pages.", "She painted the fence bright yellow."),
        ("How do I reset my password?", "The volcano erupted for three days."),
        ("The train to Berlin leaves at nine.", "Add two cups of flour to the bowl."),
    ];
    let score = |pairs: &[(&str, &str)]| -> Vec<f32> {
        pairs
            .iter()
            .map(|(a, b)| {
                let e = stage.embed(&[a, b]).unwrap();
                cosine(&e[0], &e[1])
            })
            .collect()
    };
    let (close, far) = (score(&paraphrases), score(&unrelated));
    println!("paraphrases {close:.3?}\nunrelated   {far:.3?}");
    let lowest_paraphrase = close.iter().cloned().fold(f32::MAX, f32::min);
    let highest_unrelated = far.iter().cloned().fold(f32::MIN, f32::max);
    assert!(lowest_paraphrase > highest_unrelated, "{lowest_paraphrase} vs {highest_unrelated}");
}

#[test]
fn embeddings_are_unit_length_and_independent_of_batching() {
    let stage = stage(EmbedOptions { batch_size: 3, ..EmbedOptions::default() });
    let texts = [
        "short",
        "A much longer sentence that needs padding when it shares a batch with short ones.",
        "Zahlen: 1, 2, 3 — und Umlaute: äöü.",
        "fn main() { println!(\"hello\"); }",
    ];
    let batched = stage.embed(&texts).unwrap();
    for (text, vector) in texts.iter().zip(&batched) {
        assert_eq!(vector.len(), EMBEDDING_DIM);
        let norm: f32 = vector.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4);
        let alone = &stage.embed(&[text]).unwrap()[0];
        assert!(cosine(alone, vector) > 0.9999, "{text}: padding changed the embedding");
    }
}

#[test]
fn long_text_is_chunked_within_the_token_limit_with_overlap() {
    let stage = stage(EmbedOptions { max_tokens: 64, overlap_tokens: 8, batch_size: 4 });
    let text = (1..=120).map(|i| format!("Sentence number {i} talks about memory.")).collect::<Vec<_>>().join(" ");
    let chunks = stage.run(&[text.clone()]).unwrap();
    assert!(chunks.len() >= 10, "{} chunks", chunks.len());
    for chunk in &chunks {
        assert!(text.contains(&chunk.text), "a chunk is a slice of the original text");
        assert_eq!(chunk.embedding.len(), EMBEDDING_DIM);
    }
    assert!(chunks[0].text.starts_with("Sentence number 1 "));
    assert!(chunks.last().unwrap().text.ends_with("120 talks about memory."));
}

#[test]
fn the_embedding_model_loads_once() {
    let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::new(MemoryGauges::default())));
    let stage = EmbedStage::new(Arc::clone(&hub), EmbedOptions::default());
    for _ in 0..3 {
        stage.embed(&["again and again"]).unwrap();
    }
    assert_eq!(hub.stats(ModelId::Embedding).load_count, 1);
}
