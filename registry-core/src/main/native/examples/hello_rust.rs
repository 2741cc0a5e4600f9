//! hello_rust: a handler written in Rust against handler.h, as a `cdylib` with no crates.
//!
//! Build: rustc --edition 2021 --crate-type cdylib -O -o libhandler_hello_rust.so hello_rust.rs
//!
//! The structs mirror handler.h field by field (`#[repr(C)]`, 64-bit); the header's static
//! asserts give the offsets.

use std::slice;

const HANDLER_ABI_VERSION: u32 = 1;

#[repr(C)]
pub struct HandlerBytes {
    data: *const u8,
    len: u64,
}

#[repr(C)]
pub struct HandlerHeader {
    name: HandlerBytes,
    value: HandlerBytes,
}

#[repr(C)]
pub struct HandlerContext {
    size: u32,
    abi_version: u32,
    endpoint_id: HandlerBytes,
    request_id: u64,
    deadline_unix_ns: i64,
}

#[repr(C)]
pub struct HandlerRequest {
    size: u32,
    header_count: u32,
    method: HandlerBytes,
    path: HandlerBytes,
    query: HandlerBytes,
    headers: *const HandlerHeader,
    body: HandlerBytes,
}

#[repr(C)]
pub struct HandlerResponse {
    size: u32,
    status: i32,
    header_count: u32,
    reserved: u32,
    headers: *const HandlerHeader,
    body: HandlerBytes,
    error_message: HandlerBytes,
    buffer: *mut u8,
    buffer_capacity: u64,
    release_data: *mut std::ffi::c_void,
}

unsafe fn bytes<'a>(b: &HandlerBytes) -> &'a [u8] {
    if b.len == 0 {
        &[]
    } else {
        slice::from_raw_parts(b.data, b.len as usize)
    }
}

#[no_mangle]
pub extern "C" fn handler_abi_version() -> u32 {
    HANDLER_ABI_VERSION
}

/// Answers "hello from rust, <body>" written into the host's scratch buffer.
#[no_mangle]
pub unsafe extern "C" fn handler_entry(
    ctx: *const HandlerContext,
    req: *const HandlerRequest,
    resp: *mut HandlerResponse,
) -> i32 {
    let (_ctx, req, resp) = (&*ctx, &*req, &mut *resp);
    let prefix: &[u8] = b"hello from rust, ";
    let body = bytes(&req.body);
    let total = prefix.len() + body.len();
    if total as u64 > resp.buffer_capacity {
        static TOO_LONG: &[u8] = b"hello_rust: body too long";
        resp.error_message = HandlerBytes { data: TOO_LONG.as_ptr(), len: TOO_LONG.len() as u64 };
        return 1;
    }
    let out = slice::from_raw_parts_mut(resp.buffer, total);
    out[..prefix.len()].copy_from_slice(prefix);
    out[prefix.len()..].copy_from_slice(body);
    resp.status = 200;
    resp.body = HandlerBytes { data: resp.buffer, len: total as u64 };
    0
}
