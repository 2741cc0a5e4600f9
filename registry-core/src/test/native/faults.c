/*
 * faults: a handler with the bugs handler authors make by accident, one per request body:
 *   "overread"       body = resp->buffer with buffer_capacity + 4096 bytes (past the scratch buffer)
 *   "overread-16m"   body = resp->buffer with 16 MiB
 *   "before"         body = the 64 bytes just before resp->buffer (the host's structs)
 *   "header-overread" a header whose value runs past the scratch buffer
 *   "header-overread-in-buffer" the same, with the header array itself in the scratch buffer
 *   "error-overread" fails with an error message running past the scratch buffer
 *   "scratch"        body = the whole scratch buffer, filled with 's' (allowed)
 *   "echo-request"   body and a header point into the request itself (allowed)
 *   "long-error"     fails with a 70,000-byte error message
 *   "scribble"       writes over its const request: method, path, header count, size fields
 *   "status:<n>"     answers with status n
 */
#include <stdlib.h>
#include <string.h>

#include "handler.h"

HANDLER_DEFINE_ABI_VERSION()

static uint8_t long_error[70000];
static handler_header one_header[1];

static int is(const handler_request *req, const char *word) {
    size_t n = strlen(word);
    return req->body.len == n && memcmp(req->body.data, word, n) == 0;
}

HANDLER_EXPORT int32_t handler_entry(const handler_context *ctx, const handler_request *req,
                                     handler_response *resp) {
    (void)ctx;
    resp->status = 200;
    if (is(req, "overread")) {
        resp->body = (handler_bytes){resp->buffer, resp->buffer_capacity + 4096};
    } else if (is(req, "overread-16m")) {
        resp->body = (handler_bytes){resp->buffer, 16u << 20};
    } else if (is(req, "before")) {
        resp->body = (handler_bytes){resp->buffer - 64, 64};
    } else if (is(req, "header-overread")) {
        one_header[0] = (handler_header){HANDLER_STR("x-leak"), {resp->buffer, resp->buffer_capacity + 1}};
        resp->headers = one_header;
        resp->header_count = 1;
    } else if (is(req, "header-overread-in-buffer")) {
        handler_header *in_buffer = (handler_header *)resp->buffer;
        in_buffer[0] = (handler_header){HANDLER_STR("x-leak"), {resp->buffer, resp->buffer_capacity + 1}};
        resp->headers = in_buffer;
        resp->header_count = 1;
    } else if (is(req, "error-overread")) {
        resp->error_message = (handler_bytes){resp->buffer + resp->buffer_capacity - 8, 4096};
        return 7;
    } else if (is(req, "scratch")) {
        memset(resp->buffer, 's', resp->buffer_capacity);
        resp->body = (handler_bytes){resp->buffer, resp->buffer_capacity};
    } else if (is(req, "echo-request")) {
        one_header[0] = (handler_header){HANDLER_STR("x-path"), req->path};
        resp->headers = one_header;
        resp->header_count = 1;
        resp->body = req->body;
    } else if (is(req, "long-error")) {
        memset(long_error, 'e', sizeof long_error);
        resp->error_message = (handler_bytes){long_error, sizeof long_error};
        return 9;
    } else if (is(req, "scribble")) {
        handler_request *w = (handler_request *)req; /* a bug: the request is const */
        if (w->method.len > 0) {
            memset((void *)w->method.data, 'X', w->method.len);
        }
        if (w->path.len > 0) {
            memset((void *)w->path.data, 'Y', w->path.len);
        }
        w->method.len = 1;
        w->path.len = 1;
        w->header_count = 99;
        w->size = 1;
        resp->body = HANDLER_STR("scribbled");
    } else if (req->body.len > 7 && memcmp(req->body.data, "status:", 7) == 0) {
        char number[32] = {0};
        memcpy(number, req->body.data + 7, req->body.len - 7 < 31 ? req->body.len - 7 : 31);
        resp->status = atoi(number);
        resp->body = HANDLER_STR("status set");
    } else {
        resp->body = HANDLER_STR("fine");
    }
    return 0;
}
