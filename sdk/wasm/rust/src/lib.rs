//! reelkit WASM plugins in Rust: the Extism kernel imports and reelkit's host functions
//! (import module `reelkit:host/v1`, host API 1.x), with safe wrappers. No dependencies.
//!
//! ```ignore
//! use reelkit_pdk as rk;
//!
//! #[no_mangle]
//! pub extern "C" fn greet() -> i32 {
//!     let input = rk::input_string();            // the command input (JSON text)
//!     if !input.contains("\"name\"") {
//!         return rk::fail("input needs a string field 'name'");
//!     }
//!     rk::log(rk::Level::Info, "greeting someone");
//!     rk::output_str("{\"greeting\":\"Hello!\"}");
//!     0
//! }
//! ```
//!
//! Host functions fail closed: a denied grant or a host-side error stops the guest and the
//! call reports that error; the wrappers return only when the host succeeded.

#![allow(clippy::missing_safety_doc)]

pub type Block = u64; // an offset in Extism memory; 0 = none

pub mod sys {
    use super::Block;

    #[link(wasm_import_module = "extism:host/env")]
    extern "C" {
        pub fn input_length() -> u64;
        pub fn input_load_u8(offset: u64) -> u8;
        pub fn input_load_u64(offset: u64) -> u64;
        pub fn alloc(length: u64) -> Block;
        pub fn free(block: Block);
        pub fn length(block: Block) -> u64;
        pub fn load_u8(offset: u64) -> u8;
        pub fn load_u64(offset: u64) -> u64;
        pub fn store_u8(offset: u64, value: u8);
        pub fn store_u64(offset: u64, value: u64);
        pub fn output_set(block: Block, length: u64);
        pub fn error_set(block: Block);
    }

    #[link(wasm_import_module = "reelkit:host/v1")]
    extern "C" {
        pub fn log(level: i32, message: Block);
        pub fn config_get(key: Block) -> Block;
        pub fn kv_get(key: Block) -> Block;
        pub fn kv_set(key: Block, value: Block);
        pub fn kv_delete(key: Block);
        pub fn invoke(command: Block, payload_json: Block) -> Block;
        pub fn emit(topic: Block, data_json: Block);
        pub fn http_request(request_json: Block) -> Block;
    }
}

/// Copy bytes into a new Extism memory block.
pub fn to_block(data: &[u8]) -> Block {
    unsafe {
        let block = sys::alloc(data.len() as u64);
        let mut chunks = data.chunks_exact(8);
        let mut offset = block;
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            sys::store_u64(offset, u64::from_le_bytes(word));
            offset += 8;
        }
        for byte in chunks.remainder() {
            sys::store_u8(offset, *byte);
            offset += 1;
        }
        block
    }
}

/// Read (and free) an Extism memory block; `None` for block 0.
pub fn from_block(block: Block) -> Option<Vec<u8>> {
    if block == 0 {
        return None;
    }
    unsafe {
        let n = sys::length(block) as usize;
        let mut out = Vec::with_capacity(n);
        let mut i = 0;
        while i + 8 <= n {
            out.extend_from_slice(&sys::load_u64(block + i as u64).to_le_bytes());
            i += 8;
        }
        while i < n {
            out.push(sys::load_u8(block + i as u64));
            i += 1;
        }
        sys::free(block);
        Some(out)
    }
}

fn text(block: Block) -> Option<String> {
    from_block(block).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The call's input bytes.
pub fn input() -> Vec<u8> {
    unsafe {
        let n = sys::input_length() as usize;
        let mut out = Vec::with_capacity(n);
        let mut i = 0;
        while i + 8 <= n {
            out.extend_from_slice(&sys::input_load_u64(i as u64).to_le_bytes());
            i += 8;
        }
        while i < n {
            out.push(sys::input_load_u8(i as u64));
            i += 1;
        }
        out
    }
}

pub fn input_string() -> String {
    String::from_utf8_lossy(&input()).into_owned()
}

pub fn output(data: &[u8]) {
    unsafe { sys::output_set(to_block(data), data.len() as u64) }
}

pub fn output_str(s: &str) {
    output(s.as_bytes())
}

/// Report an error for this call: `return reelkit_pdk::fail("...")` from an export.
pub fn fail(message: &str) -> i32 {
    unsafe { sys::error_set(to_block(message.as_bytes())) };
    1
}

#[derive(Clone, Copy)]
pub enum Level {
    Trace = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
}

pub fn log(level: Level, message: &str) {
    unsafe { sys::log(level as i32, to_block(message.as_bytes())) }
}

/// The plugin's configuration value (or a granted kernel setting `section.key`).
pub fn config_get(key: &str) -> Option<String> {
    text(unsafe { sys::config_get(to_block(key.as_bytes())) })
}

pub fn kv_get(key: &str) -> Option<Vec<u8>> {
    from_block(unsafe { sys::kv_get(to_block(key.as_bytes())) })
}

pub fn kv_set(key: &str, value: &[u8]) {
    unsafe { sys::kv_set(to_block(key.as_bytes()), to_block(value)) }
}

pub fn kv_delete(key: &str) {
    unsafe { sys::kv_delete(to_block(key.as_bytes())) }
}

/// Invoke a kernel command granted in plugin.json; returns the result as JSON text.
pub fn invoke(command: &str, payload_json: &str) -> String {
    text(unsafe { sys::invoke(to_block(command.as_bytes()), to_block(payload_json.as_bytes())) })
        .unwrap_or_else(|| "null".into())
}

/// Publish an event under `<plugin-id>.` (or a granted topic); `data_json` is a JSON object.
pub fn emit(topic: &str, data_json: &str) {
    unsafe { sys::emit(to_block(topic.as_bytes()), to_block(data_json.as_bytes())) }
}

/// `{"method","url","headers","body"}` → `{"status","headers","body","url"}`, done by the host.
pub fn http_request(request_json: &str) -> String {
    text(unsafe { sys::http_request(to_block(request_json.as_bytes())) }).unwrap_or_else(|| "null".into())
}
