/*
 * handler.h - the native handler ABI of handler-registry.
 *
 * A handler library is a shared library (.so / .dll / .dylib) that exports
 *
 *   required  uint32_t handler_abi_version(void);     returns HANDLER_ABI_VERSION
 *   required  int32_t  handler_entry(ctx, req, resp);  serves one request
 *   optional  int32_t  handler_init(init);             once after load, before any request
 *   optional  void     handler_shutdown(void);         once after the last call returned, before unload
 *   optional  void     handler_release(resp);          frees what a response points to (see MEMORY)
 *
 * and nothing else it needs to share (build with -fvisibility=hidden; HANDLER_EXPORT marks the
 * entry points). The registry loads every version of a library from its own copy with
 * RTLD_NOW | RTLD_LOCAL: unresolved symbols fail the load, and two versions loaded side by side
 * never see each other's symbols or globals.
 *
 * VERSIONING
 *   HANDLER_ABI_VERSION is the major version of this contract. The registry refuses a library whose
 *   handler_abi_version() differs from its own, naming both versions. Within one major version the
 *   structs only grow at their end; each starts with `size`, set by the host to the size it
 *   allocated, so a handler built against a newer minor revision can check before reading a field.
 *   Layout: fixed-width integers, 8-byte pointers (64-bit platforms only), no padding surprises
 *   (checked by the static asserts at the end of this file). Other languages (Rust, Zig, Go with
 *   cgo, ...) mirror the structs with the offsets asserted below.
 *
 * THREADING
 *   handler_entry may be called concurrently from many threads, for the same and for different
 *   requests. Guard shared state yourself (or keep none). handler_init and handler_shutdown are
 *   never called concurrently with anything else of the same loaded version.
 *   Avoid thread-local variables with destructors (C++ thread_local of a class type, Rust
 *   thread_local! holding a String or a Vec): the platform loader then keeps the library mapped
 *   after its unload while any thread that called it lives, and the registry reports that version
 *   as PINNED. Plain thread-locals (C _Thread_local, C++ thread_local of int) are fine.
 *   Build C++ with -fvisibility=hidden: a default-visible inline or template static becomes a
 *   symbol the loader shares between all versions (STB_GNU_UNIQUE); such a library is refused.
 *
 * MEMORY
 *   Everything the host passes in (context, request, headers, body, the response buffer) is owned
 *   by the host and valid only until handler_entry returns. Do not keep pointers into it.
 *   The request and context are const: the host writes them whole before every call, so a handler
 *   that writes into them anyway (decoding its path in place) spoils only its own call.
 *   Everything a response points to is owned by the handler. It may point
 *     - into resp->buffer, a host-provided scratch area of resp->buffer_capacity bytes
 *       (at least HANDLER_MIN_BUFFER): nothing to free, the cheapest way. The buffer is not
 *       cleared between calls: point only at bytes this call wrote;
 *     - into the request of this call (its body, path, header strings), e.g. to echo them;
 *     - to static or otherwise long-lived memory: nothing to free;
 *     - to memory the handler allocated: then set resp->release_data to any non-NULL value and
 *       export handler_release. The host copies the response out, then calls handler_release(resp)
 *       exactly once, on the same thread, with the same struct (release_data included), whatever
 *       handler_entry returned. Free it there, with the allocator that allocated it.
 *   The host never frees handler memory and the handler never frees host memory, so the two
 *   never have to share an allocator or a C runtime.
 *   A response range that reaches into the host's call memory anywhere else (past
 *   buffer_capacity, before the buffer, into the structs) is refused: the caller gets a
 *   HandlerException naming the field, never those bytes. A pointer to memory that is not mapped
 *   at all cannot be checked: it crashes the process (see README, isolation).
 *
 * RESULTS
 *   handler_entry returns 0 when it produced a response (any status, 4xx/5xx included), and a
 *   non-zero code when it failed to; the Java caller then gets a HandlerFailedException carrying
 *   that code and resp->error_message, if set (cut at 64 KiB). Strings are UTF-8 and not
 *   NUL-terminated: always use their length.
 *
 * DEADLINE
 *   ctx->deadline_unix_ns is the caller's deadline in nanoseconds since 1970-01-01 UTC
 *   (CLOCK_REALTIME), or 0 when the caller set none. The host cannot interrupt native code: a call
 *   that outlives its deadline is abandoned by its caller but keeps its thread and its library
 *   until it returns; the registry counts it as overdue (handler:list), and it holds one place of
 *   its version's call limit (max.concurrent.calls), so a version that hangs ends up refusing
 *   calls instead of taking every thread. Long handlers should check the deadline and give up early.
 *   In process isolation (see below) a call still inside past its deadline plus a grace period
 *   (process.hang.grace.ms) gets its worker process killed, ending every call inside that worker.
 *
 * LIFECYCLE
 *   handler_init runs on a thread of its own and has a time limit (init.timeout.ms, 30 s by
 *   default): past it the load is refused and the version that was serving keeps serving; the
 *   library is unloaded once handler_init returns after all. handler_shutdown runs on a thread of
 *   the registry's, not on the thread that asked for the swap or unload.
 *   A dependency placed beside the library is found with an rpath of $ORIGIN (the private copy
 *   keeps the library's file name and sees the files beside the original).
 *
 * WHAT THE HOST CANNOT CATCH
 *   In-process, the handler shares the JVM's process. These end it, and with it every endpoint:
 *   exit() or abort(), a crash (SIGSEGV, SIGBUS, ...), a response pointer into unmapped memory, a
 *   write past the end of host memory or heap corruption, a thread still running the library's
 *   code after handler_shutdown, a signal handler installed by the library and left behind, a
 *   library constructor that aborts. A handler that may do any of these must not run in-process.
 *
 * PROCESS ISOLATION
 *   The same library, unchanged, can run in a worker process of its own (Handler-Isolation: process
 *   in a handler bundle's manifest, the registry's isolation settings, or handler:load --isolation
 *   process). The worker loads it with the rules above, calls handler_init once, serves calls on
 *   several threads at once (the THREADING rule is unchanged; thread-locals live as long as the
 *   worker), and calls handler_shutdown before it exits. Everything listed under WHAT THE HOST
 *   CANNOT CATCH then ends only that worker: its calls fail with a HandlerCrashedException carrying
 *   the signal or exit code and the worker's last lines of stderr, and the registry starts it again.
 *   The worker leads a process group of its own: processes the handler starts stay in it and are
 *   killed whenever the worker ends (one that calls setsid, as a daemon does, is out of reach).
 *   Write diagnostics to stderr (a line at a time): they reach the container's log with the
 *   endpoint's name. A request and a response each carry at most process.slot.bytes (1 MiB).
 */
#ifndef HANDLER_REGISTRY_HANDLER_H
#define HANDLER_REGISTRY_HANDLER_H

#include <stddef.h>
#include <stdint.h>

#define HANDLER_ABI_VERSION 1u

/* The response buffer the host provides is never smaller than this. */
#define HANDLER_MIN_BUFFER 4096u

#if defined(_WIN32)
#define HANDLER_EXPORT __declspec(dllexport)
#else
#define HANDLER_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* A run of bytes: not NUL-terminated, may contain NUL, may be empty (data may then be NULL). */
typedef struct handler_bytes {
    const uint8_t *data;
    uint64_t len;
} handler_bytes;

/* One header line; names keep the caller's case, order and duplicates are preserved. */
typedef struct handler_header {
    handler_bytes name;
    handler_bytes value;
} handler_header;

/* Per-call information about the caller. */
typedef struct handler_context {
    uint32_t size;               /* sizeof(handler_context) as allocated by the host */
    uint32_t abi_version;        /* HANDLER_ABI_VERSION of the host */
    handler_bytes endpoint_id;   /* the endpoint this library serves, e.g. "echo" */
    uint64_t request_id;         /* the caller's request id (unique enough for logs/tracing) */
    int64_t deadline_unix_ns;    /* 0 = no deadline; see DEADLINE */
} handler_context;

/* The request: HTTP-like, but no transport is implied. */
typedef struct handler_request {
    uint32_t size;               /* sizeof(handler_request) as allocated by the host */
    uint32_t header_count;
    handler_bytes method;        /* e.g. "GET", "POST" */
    handler_bytes path;          /* e.g. "/orders/42" */
    handler_bytes query;         /* raw query string without '?', may be empty */
    const handler_header *headers; /* header_count entries */
    handler_bytes body;          /* binary-safe */
} handler_request;

/* The response: fields marked "in" are set by the host before the call, "out" by the handler. */
typedef struct handler_response {
    uint32_t size;               /* in:  sizeof(handler_response) as allocated by the host */
    int32_t status;              /* in:  200; out: the HTTP status, 100 to 599 (others are refused) */
    uint32_t header_count;       /* in:  0;   out: number of entries at headers */
    uint32_t reserved;           /* must stay 0 */
    const handler_header *headers; /* in: NULL; out: response headers */
    handler_bytes body;          /* in:  empty; out: the response body */
    handler_bytes error_message; /* in:  empty; out: optional text when handler_entry returns non-zero */
    uint8_t *buffer;             /* in:  host scratch memory the handler may fill and point into */
    uint64_t buffer_capacity;    /* in:  bytes available at buffer (>= HANDLER_MIN_BUFFER) */
    void *release_data;          /* in:  NULL; out: non-NULL asks for handler_release(resp) */
} handler_response;

/* Arguments of handler_init. */
typedef struct handler_init_args {
    uint32_t size;               /* sizeof(handler_init_args) as allocated by the host */
    uint32_t abi_version;        /* HANDLER_ABI_VERSION of the host */
    handler_bytes endpoint_id;   /* the endpoint this library is loaded for */
    handler_bytes library_path;  /* the file the operator deployed (not the private copy loaded) */
    handler_bytes error_message; /* out: optional text when handler_init returns non-zero */
} handler_init_args;

/* Required: return HANDLER_ABI_VERSION. HANDLER_DEFINE_ABI_VERSION() writes it for you. */
HANDLER_EXPORT uint32_t handler_abi_version(void);

/* Required: serve one request. 0 = response produced; non-zero = handler error (see RESULTS). */
HANDLER_EXPORT int32_t handler_entry(const handler_context *ctx, const handler_request *req,
                                     handler_response *resp);

/* Optional: called once after load and before any request. Non-zero refuses the load: the
 * version that was serving keeps serving, and the caller sees the code and error_message. */
HANDLER_EXPORT int32_t handler_init(handler_init_args *init);

/* Optional: called once, after the last in-flight call of this loaded version returned and just
 * before the library is unloaded. Not called when handler_init failed. */
HANDLER_EXPORT void handler_shutdown(void);

/* Optional (required if any response sets release_data): free what resp points to. */
HANDLER_EXPORT void handler_release(handler_response *resp);

/* Place once in one source file of the library. */
#define HANDLER_DEFINE_ABI_VERSION() \
    HANDLER_EXPORT uint32_t handler_abi_version(void) { return HANDLER_ABI_VERSION; }

/* Set a handler_bytes from a NUL-terminated C string (static or otherwise long-lived). */
#define HANDLER_STR(s) ((handler_bytes){(const uint8_t *)(s), sizeof(s) - 1})

/* The layout the host relies on: every size and offset the registry reads or writes (its Java
 * side defines them once, in AbiLayout, and a test checks them against this header). */
#if defined(__cplusplus)
#define HANDLER_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define HANDLER_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif
HANDLER_STATIC_ASSERT(sizeof(void *) == 8, "handler-registry supports 64-bit platforms only");
#define HANDLER_ASSERT_OFFSET(type, field, offset) \
    HANDLER_STATIC_ASSERT(offsetof(type, field) == (offset), #type "." #field " layout")
HANDLER_STATIC_ASSERT(sizeof(handler_bytes) == 16, "handler_bytes layout");
HANDLER_ASSERT_OFFSET(handler_bytes, data, 0);
HANDLER_ASSERT_OFFSET(handler_bytes, len, 8);
HANDLER_STATIC_ASSERT(sizeof(handler_header) == 32, "handler_header layout");
HANDLER_ASSERT_OFFSET(handler_header, name, 0);
HANDLER_ASSERT_OFFSET(handler_header, value, 16);
HANDLER_STATIC_ASSERT(sizeof(handler_context) == 40, "handler_context layout");
HANDLER_ASSERT_OFFSET(handler_context, size, 0);
HANDLER_ASSERT_OFFSET(handler_context, abi_version, 4);
HANDLER_ASSERT_OFFSET(handler_context, endpoint_id, 8);
HANDLER_ASSERT_OFFSET(handler_context, request_id, 24);
HANDLER_ASSERT_OFFSET(handler_context, deadline_unix_ns, 32);
HANDLER_STATIC_ASSERT(sizeof(handler_request) == 80, "handler_request layout");
HANDLER_ASSERT_OFFSET(handler_request, size, 0);
HANDLER_ASSERT_OFFSET(handler_request, header_count, 4);
HANDLER_ASSERT_OFFSET(handler_request, method, 8);
HANDLER_ASSERT_OFFSET(handler_request, path, 24);
HANDLER_ASSERT_OFFSET(handler_request, query, 40);
HANDLER_ASSERT_OFFSET(handler_request, headers, 56);
HANDLER_ASSERT_OFFSET(handler_request, body, 64);
HANDLER_STATIC_ASSERT(sizeof(handler_response) == 80, "handler_response layout");
HANDLER_ASSERT_OFFSET(handler_response, size, 0);
HANDLER_ASSERT_OFFSET(handler_response, status, 4);
HANDLER_ASSERT_OFFSET(handler_response, header_count, 8);
HANDLER_ASSERT_OFFSET(handler_response, reserved, 12);
HANDLER_ASSERT_OFFSET(handler_response, headers, 16);
HANDLER_ASSERT_OFFSET(handler_response, body, 24);
HANDLER_ASSERT_OFFSET(handler_response, error_message, 40);
HANDLER_ASSERT_OFFSET(handler_response, buffer, 56);
HANDLER_ASSERT_OFFSET(handler_response, buffer_capacity, 64);
HANDLER_ASSERT_OFFSET(handler_response, release_data, 72);
HANDLER_STATIC_ASSERT(sizeof(handler_init_args) == 56, "handler_init_args layout");
HANDLER_ASSERT_OFFSET(handler_init_args, size, 0);
HANDLER_ASSERT_OFFSET(handler_init_args, abi_version, 4);
HANDLER_ASSERT_OFFSET(handler_init_args, endpoint_id, 8);
HANDLER_ASSERT_OFFSET(handler_init_args, library_path, 24);
HANDLER_ASSERT_OFFSET(handler_init_args, error_message, 40);

#ifdef __cplusplus
}
#endif

#endif /* HANDLER_REGISTRY_HANDLER_H */
