//! The handler: answers "hello <body>" (status 200), or status 400 to a request without a body.
//!
//! A `cdylib` exporting the functions of handler-registry's C ABI (handler.h, unpacked by the build into
//! target/include). The structs below mirror handler.h field by field (`#[repr(C)]`, 64-bit platforms);
//! its static asserts give the offsets. The rules this file follows, all spelled out in handler.h:
//!   - the request, its body and the response buffer belong to the host and are valid only during the
//!     call; strings and bodies are pointer + length, not NUL-terminated;
//!   - the answer lives in the host's scratch buffer when it fits, else in memory this library
//!     allocates and frees in `handler_release`;
//!   - `handler_entry` runs on many threads at once: it keeps no state between calls;
//!   - it returns 0 for any answer (a 400 too), non-zero only when it could not answer;
//!   - a panic must not unwind into the host: `handler_entry` catches it and reports an error.

use std::ffi::c_void;
use std::panic::{self, AssertUnwindSafe};
use std::ptr;
use std::slice;

const HANDLER_ABI_VERSION: u32 = 1;

#[repr(C)]
pub struct HandlerBytes {
    pub data: *const u8,
    pub len: u64,
}

#[repr(C)]
pub struct HandlerHeader {
    pub name: HandlerBytes,
    pub value: HandlerBytes,
}

#[repr(C)]
pub struct HandlerContext {
    pub size: u32,
    pub abi_version: u32,
    pub endpoint_id: HandlerBytes,
    pub request_id: u64,
    /// 0: no deadline; else nanoseconds since 1970-01-01 UTC
    pub deadline_unix_ns: i64,
}

#[repr(C)]
pub struct HandlerRequest {
    pub size: u32,
    pub header_count: u32,
    pub method: HandlerBytes,
    pub path: HandlerBytes,
    pub query: HandlerBytes,
    pub headers: *const HandlerHeader,
    pub body: HandlerBytes,
}

#[repr(C)]
pub struct HandlerResponse {
    pub size: u32,
    pub status: i32,
    pub header_count: u32,
    pub reserved: u32,
    pub headers: *const HandlerHeader,
    pub body: HandlerBytes,
    pub error_message: HandlerBytes,
    pub buffer: *mut u8,
    pub buffer_capacity: u64,
    pub release_data: *mut c_void,
}

impl HandlerBytes {
    fn of_static(text: &'static [u8]) -> HandlerBytes {
        HandlerBytes { data: text.as_ptr(), len: text.len() as u64 }
    }

    /// The bytes, borrowed for the call.
    unsafe fn as_slice<'a>(&self) -> &'a [u8] {
        if self.len == 0 {
            &[]
        } else {
            slice::from_raw_parts(self.data, self.len as usize)
        }
    }
}

const GREETING: &[u8] = b"hello ";

#[no_mangle]
pub extern "C" fn handler_abi_version() -> u32 {
    HANDLER_ABI_VERSION
}

/// # Safety
/// Called by the registry with valid pointers, as handler.h says.
#[no_mangle]
pub unsafe extern "C" fn handler_entry(
    ctx: *const HandlerContext,
    req: *const HandlerRequest,
    resp: *mut HandlerResponse,
) -> i32 {
    let resp = &mut *resp;
    match panic::catch_unwind(AssertUnwindSafe(|| answer(&*ctx, &*req, resp))) {
        Ok(code) => code,
        Err(_) => {
            resp.error_message = HandlerBytes::of_static(b"the handler panicked");
            70
        }
    }
}

unsafe fn answer(_ctx: &HandlerContext, req: &HandlerRequest, resp: &mut HandlerResponse) -> i32 {
    let body = req.body.as_slice();
    if body.is_empty() {
        resp.status = 400;
        resp.body = HandlerBytes::of_static(b"send a body to be greeted\n");
        return 0;
    }
    let length = GREETING.len() + body.len();
    let out: *mut u8 = if length as u64 <= resp.buffer_capacity {
        resp.buffer // the host's scratch buffer: nothing to free
    } else {
        // memory of ours, freed in handler_release once the host copied the answer
        let memory = Box::into_raw(vec![0u8; length].into_boxed_slice()) as *mut u8;
        resp.release_data = memory as *mut c_void;
        memory
    };
    let answer = slice::from_raw_parts_mut(out, length);
    answer[..GREETING.len()].copy_from_slice(GREETING);
    answer[GREETING.len()..].copy_from_slice(body);
    resp.status = 200;
    resp.body = HandlerBytes { data: out, len: length as u64 };
    0
}

/// # Safety
/// Called by the registry once per response whose `release_data` is set, with that response.
#[no_mangle]
pub unsafe extern "C" fn handler_release(resp: *mut HandlerResponse) {
    let resp = &mut *resp;
    if !resp.release_data.is_null() {
        let memory = ptr::slice_from_raw_parts_mut(resp.release_data as *mut u8, resp.body.len as usize);
        drop(Box::from_raw(memory));
        resp.release_data = ptr::null_mut();
    }
}
