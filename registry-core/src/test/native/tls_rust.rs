//! tls_rust: keeps per-thread state in a plain `thread_local!` holding a `String`. Its destructor
//! is registered with glibc (__cxa_thread_atexit_impl), which then keeps the library mapped after
//! dlclose while any thread that called it lives. Answers "call;" once per call made on that thread.
use std::cell::RefCell;
use std::slice;

#[repr(C)]
pub struct HandlerBytes {
    data: *const u8,
    len: u64,
}

// only the response is read or written: its fields up to the buffer (see handler.h)
#[repr(C)]
pub struct HandlerResponse {
    size: u32,
    status: i32,
    header_count: u32,
    reserved: u32,
    headers: *const u8,
    body: HandlerBytes,
    error_message: HandlerBytes,
    buffer: *mut u8,
    buffer_capacity: u64,
    release_data: *mut std::ffi::c_void,
}

thread_local! {
    static CALLS_ON_THIS_THREAD: RefCell<String> = RefCell::new(String::new());
}

#[no_mangle]
pub extern "C" fn handler_abi_version() -> u32 {
    1
}

#[no_mangle]
pub unsafe extern "C" fn handler_entry(_ctx: *const u8, _req: *const u8, resp: *mut HandlerResponse) -> i32 {
    let resp = &mut *resp;
    CALLS_ON_THIS_THREAD.with(|calls| {
        let mut calls = calls.borrow_mut();
        calls.push_str("call;");
        let n = calls.len().min(resp.buffer_capacity as usize);
        slice::from_raw_parts_mut(resp.buffer, n).copy_from_slice(&calls.as_bytes()[..n]);
        resp.body = HandlerBytes { data: resp.buffer, len: n as u64 };
    });
    0
}
