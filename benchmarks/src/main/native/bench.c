/*
 * Benchmark handlers: the least a handler can do, so that what is measured is the call path.
 *   -DNOOP : answers nothing (status 200, empty body)
 *   default: echo_body, copies the request body into the host's scratch buffer (no headers)
 *   -DCRASH : crash_body, echo_body that aborts when the body is "crash" (process isolation only)
 */
#include <stdlib.h>
#include <string.h>

#include "handler.h"

HANDLER_DEFINE_ABI_VERSION()

HANDLER_EXPORT int32_t handler_entry(const handler_context *ctx, const handler_request *req,
                                     handler_response *resp) {
    (void)ctx;
#ifdef NOOP
    (void)req;
    (void)resp;
#else
#ifdef CRASH
    if (req->body.len == 5 && memcmp(req->body.data, "crash", 5) == 0) {
        abort();
    }
#endif
    if (req->body.len > resp->buffer_capacity) {
        resp->error_message = HANDLER_STR("echo_body: body larger than the scratch buffer");
        return 1;
    }
    memcpy(resp->buffer, req->body.data, req->body.len);
    resp->body = (handler_bytes){resp->buffer, req->body.len};
#endif
    return 0;
}
