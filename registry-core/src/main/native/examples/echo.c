/*
 * echo: answers with the request body and reports what it received in response headers.
 * Example of the cheapest memory strategy: the response lives in the host's scratch buffer
 * when it fits; larger bodies are malloc'd and freed in handler_release.
 *
 * Build: gcc -shared -fPIC -O2 -fvisibility=hidden -I include -o libhandler_echo.so echo.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler.h"

HANDLER_DEFINE_ABI_VERSION()

enum { MAX_ECHOED_HEADERS = 16, FIXED_HEADERS = 6 };

/* Per-response state kept in the scratch buffer (or in a malloc'd block when it is too small). */
typedef struct echo_out {
    handler_header headers[FIXED_HEADERS + MAX_ECHOED_HEADERS];
    char request_id[24];
    char deadline[24];
    uint8_t body[]; /* copy of the request body */
} echo_out;

static int bytes_equal(handler_bytes b, const char *s) {
    size_t n = strlen(s);
    return b.len == n && (n == 0 || memcmp(b.data, s, n) == 0);
}

HANDLER_EXPORT int32_t handler_entry(const handler_context *ctx, const handler_request *req,
                                     handler_response *resp) {
    if (bytes_equal(req->path, "/fail")) {
        resp->error_message = HANDLER_STR("echo was asked to fail (path /fail)");
        return 42;
    }
    size_t need = sizeof(echo_out) + req->body.len;
    echo_out *out;
    if (need <= resp->buffer_capacity) {
        out = (echo_out *)resp->buffer;
    } else {
        out = malloc(need);
        if (out == NULL) {
            resp->error_message = HANDLER_STR("echo: out of memory");
            return 12;
        }
        resp->release_data = out;
    }
    snprintf(out->request_id, sizeof out->request_id, "%llu", (unsigned long long)ctx->request_id);
    snprintf(out->deadline, sizeof out->deadline, "%lld", (long long)ctx->deadline_unix_ns);
    uint32_t n = 0;
    out->headers[n++] = (handler_header){HANDLER_STR("x-endpoint"), ctx->endpoint_id};
    out->headers[n++] = (handler_header){HANDLER_STR("x-request-id"),
                                         {(const uint8_t *)out->request_id, strlen(out->request_id)}};
    out->headers[n++] = (handler_header){HANDLER_STR("x-deadline"),
                                         {(const uint8_t *)out->deadline, strlen(out->deadline)}};
    out->headers[n++] = (handler_header){HANDLER_STR("x-method"), req->method};
    out->headers[n++] = (handler_header){HANDLER_STR("x-path"), req->path};
    out->headers[n++] = (handler_header){HANDLER_STR("x-query"), req->query};
    /* The request's own headers and strings are host memory: valid only during this call, which
     * is all the host needs (it copies the response before handler_entry's memory goes away). */
    for (uint32_t i = 0; i < req->header_count && i < MAX_ECHOED_HEADERS; i++) {
        out->headers[n++] = req->headers[i];
    }
    if (req->body.len > 0) {
        memcpy(out->body, req->body.data, req->body.len);
    }
    resp->status = 200;
    resp->headers = out->headers;
    resp->header_count = n;
    resp->body = (handler_bytes){out->body, req->body.len};
    return 0;
}

HANDLER_EXPORT void handler_release(handler_response *resp) {
    free(resp->release_data);
}
