//! Giving the shared arena's free regions back now, before the next inference starts.
//!
//! ONNX Runtime returns an arena's free regions only at the end of a run that asks for it (the run option
//! `memory.enable_memory_arena_shrinkage`). Asked of the next real inference, the shrink comes after it, and
//! what the last inferences left free sits beside the memory that inference takes: the peak is their sum. A
//! run of a one-node model (Identity on one number) asks at once. Its input and output live outside the arena,
//! so it takes no chunk of its own that could keep a region from going back.

use std::sync::{Mutex, OnceLock};

use ort::ep;
use ort::memory::Allocator;
use ort::session::{IoBinding, RunOptions, Session};
use ort::value::Tensor;

use crate::{Error, Result};

/// The model: `y = Identity(x)`, `x` and `y` float tensors of shape [1], opset 13, as ONNX's protobuf.
fn identity_model() -> Vec<u8> {
    // Protobuf: a field's key is (number << 3) | wire type (0: varint, 2: length-delimited); every length
    // here is under 128, so it is one byte.
    fn message(number: u8, body: &[u8]) -> Vec<u8> {
        assert!(body.len() < 128, "one-byte lengths only");
        let mut out = vec![(number << 3) | 2, body.len() as u8];
        out.extend_from_slice(body);
        out
    }
    fn varint(number: u8, value: u8) -> Vec<u8> {
        vec![number << 3, value]
    }
    let tensor_of_one_float = |name: &str| {
        let dimension = message(1, &varint(1, 1)); // TensorShapeProto.dim { dim_value: 1 }
        let tensor = [varint(1, 1), message(2, &dimension)].concat(); // elem_type FLOAT, shape
        let value_type = message(1, &tensor); // TypeProto.tensor_type
        [message(1, name.as_bytes()), message(2, &value_type)].concat() // ValueInfoProto { name, type }
    };
    let node = [message(1, b"x"), message(2, b"y"), message(4, b"Identity")].concat();
    let graph = [message(1, &node), message(2, b"arena-shrink"), message(11, &tensor_of_one_float("x")), message(12, &tensor_of_one_float("y"))].concat();
    let opset = varint(2, 13); // OperatorSetIdProto { version: 13 }
    [varint(1, 8), message(7, &graph), message(8, &opset)].concat() // ir_version 8, graph, opset_import
}

struct Shrinker {
    session: Session,
    binding: IoBinding,
    options: RunOptions,
}

impl Shrinker {
    fn new() -> std::result::Result<Shrinker, String> {
        let environment = super::onnxruntime().map_err(|e| e.to_string())?;
        let text = |e: ort::Error| e.to_string();
        let mut builder = Session::builder(environment)
            .map_err(text)?
            .with_execution_providers([ep::CPU::default().with_arena_allocator(true).build()])
            .map_err(|e| e.to_string())?
            .with_env_allocators()
            .map_err(|e| e.to_string())?
            .with_intra_threads(1)
            .map_err(|e| e.to_string())?;
        let session = builder.commit_from_memory(&identity_model()).map_err(text)?;
        let mut binding = session.create_binding().map_err(text)?;
        binding.bind_input("x", &Tensor::from_array(([1usize], vec![0f32])).map_err(text)?).map_err(text)?;
        binding.bind_output("y", Tensor::<f32>::new(&Allocator::default(), [1usize]).map_err(text)?).map_err(text)?;
        let mut options = RunOptions::new().map_err(text)?;
        options.set("memory.enable_memory_arena_shrinkage", "cpu:0").map_err(text)?;
        Ok(Shrinker { session, binding, options })
    }
}

/// Returns every region of the shared arena that holds no chunk in use, now.
pub fn shrink_shared_arena() -> Result<()> {
    static SHRINKER: OnceLock<std::result::Result<Mutex<Shrinker>, String>> = OnceLock::new();
    let fail = |detail: String| Error::Inference { model: "arena shrink", detail };
    let shrinker = SHRINKER.get_or_init(|| Shrinker::new().map(Mutex::new)).as_ref().map_err(|detail| fail(detail.clone()))?;
    let mut shrinker = shrinker.lock().unwrap_or_else(|p| p.into_inner());
    let Shrinker { session, binding, options } = &mut *shrinker;
    session.run_binding_with_options(binding, options).map(drop).map_err(|e| fail(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_model_is_well_formed_protobuf() {
        let bytes = identity_model();
        // ir_version 8 first, then the graph (field 7) and the opset import (field 8) as messages.
        assert_eq!(&bytes[..2], &[0x08, 8]);
        assert_eq!(bytes[2], (7 << 3) | 2);
        let graph_len = bytes[3] as usize;
        assert_eq!(&bytes[4 + graph_len..], &[(8 << 3) | 2, 2, 2 << 3, 13]);
        assert!(bytes.windows(8).any(|w| w == b"Identity"));
    }
}
