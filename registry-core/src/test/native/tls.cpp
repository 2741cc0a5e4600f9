// tls: keeps per-thread state in a C++ thread_local with a destructor. glibc then keeps the library
// mapped after dlclose while any thread that called it lives (its destructor must still run).
#include <cstdio>
#include <string>

#include "handler.h"

static thread_local std::string calls_on_this_thread;

HANDLER_DEFINE_ABI_VERSION()

HANDLER_EXPORT int32_t handler_entry(const handler_context *ctx, const handler_request *req,
                                     handler_response *resp) {
    (void)ctx;
    (void)req;
    calls_on_this_thread += "call;";
    int n = std::snprintf(reinterpret_cast<char *>(resp->buffer), resp->buffer_capacity, "%s",
                          calls_on_this_thread.c_str());
    resp->body = handler_bytes{resp->buffer, static_cast<uint64_t>(n)};
    return 0;
}
