// unique: C++ built without -fvisibility=hidden: the static of an inline function becomes an
// STB_GNU_UNIQUE symbol, which the loader shares between every library defining it (a second
// version would go on counting where the first stopped, and the first could never unload).
#include <cstdio>

#include "handler.h"

struct Counter {
    static int next() {
        static int n = 0;
        return ++n;
    }
};

HANDLER_DEFINE_ABI_VERSION()

HANDLER_EXPORT int32_t handler_entry(const handler_context *ctx, const handler_request *req,
                                     handler_response *resp) {
    (void)ctx;
    (void)req;
    int n = std::snprintf(reinterpret_cast<char *>(resp->buffer), resp->buffer_capacity, "call %d", Counter::next());
    resp->body = handler_bytes{resp->buffer, static_cast<uint64_t>(n)};
    return 0;
}
