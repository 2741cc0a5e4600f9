/*
 * The handler: answers "hello <body>" (status 200), or status 400 to a request without a body.
 *
 * handler.h (unpacked by the build into target/include from the registry-core this bundle is built
 * against) spells out every rule; the ones this file follows:
 *   - the request, its body and the response buffer belong to the host and are valid only during
 *     the call; strings and bodies are pointer + length, not NUL-terminated;
 *   - the answer lives in the host's scratch buffer (resp->buffer, resp->buffer_capacity bytes, at
 *     least 4 KiB) when it fits, else in memory this library allocates and frees in handler_release;
 *   - handler_entry runs on many threads at once: it keeps no state between calls;
 *   - it returns 0 for any answer (a 400 too), non-zero only when it could not answer.
 */
#include <stdlib.h>
#include <string.h>

#include "handler.h"

HANDLER_DEFINE_ABI_VERSION()

static const char GREETING[] = "hello ";

HANDLER_EXPORT int32_t handler_entry(const handler_context *ctx, const handler_request *req,
                                     handler_response *resp) {
    (void)ctx; /* ctx->endpoint_id, ctx->request_id, ctx->deadline_unix_ns (0: none) */
    if (req->body.len == 0) {
        resp->status = 400;
        resp->body = HANDLER_STR("send a body to be greeted\n");
        return 0;
    }
    uint64_t length = (sizeof GREETING - 1) + req->body.len;
    uint8_t *out = resp->buffer;
    if (length > resp->buffer_capacity) {
        out = malloc(length);
        if (out == NULL) {
            resp->error_message = HANDLER_STR("out of memory for the answer");
            return 12;
        }
        resp->release_data = out; /* the host calls handler_release once it copied the answer */
    }
    memcpy(out, GREETING, sizeof GREETING - 1);
    memcpy(out + (sizeof GREETING - 1), req->body.data, req->body.len);
    resp->status = 200;
    resp->body = (handler_bytes){out, length};
    return 0;
}

HANDLER_EXPORT void handler_release(handler_response *resp) {
    free(resp->release_data);
}
