/*
 * greeting: answers "<GREETING> <body>" and shows the optional lifecycle exports. Built twice by
 * the test build (-DGREETING="\"v1\"" and "\"v2\"") to prove which version served a call; built with
 * -DGREETING_FAILS it fails every call (code 5): a bad build, for the registry's guard to roll back.
 *
 * Build: gcc -shared -fPIC -O2 -fvisibility=hidden -I include -DGREETING='"hello"' \
 *            -o libhandler_greeting.so greeting.c
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "handler.h"

#ifndef GREETING
#define GREETING "hello"
#endif

HANDLER_DEFINE_ABI_VERSION()

/* Deliberately exported (default visibility) with the same names in every version: the registry
 * loads versions with RTLD_LOCAL, so each version must still see only its own. */
__attribute__((visibility("default"))) atomic_long greeting_calls;
__attribute__((visibility("default"))) const char *greeting_text(void) { return GREETING; }

static int initialized;

HANDLER_EXPORT int32_t handler_init(handler_init_args *init) {
    (void)init;
    initialized = 1;
    return 0;
}

HANDLER_EXPORT void handler_shutdown(void) {
    initialized = 0;
}

HANDLER_EXPORT int32_t handler_entry(const handler_context *ctx, const handler_request *req,
                                     handler_response *resp) {
    (void)ctx;
    if (!initialized) {
        resp->error_message = HANDLER_STR("greeting: called before handler_init");
        return 1;
    }
    long calls = atomic_fetch_add(&greeting_calls, 1) + 1;
#ifdef GREETING_FAILS
    (void)req;
    (void)calls;
    resp->error_message = HANDLER_STR("greeting: this build fails every call (built with GREETING_FAILS)");
    return 5;
#endif
    int n = snprintf((char *)resp->buffer, resp->buffer_capacity, "%s %.*s (call %ld)",
                     greeting_text(), (int)req->body.len, (const char *)req->body.data, calls);
    if (n < 0 || (uint64_t)n >= resp->buffer_capacity) {
        resp->error_message = HANDLER_STR("greeting: body too long");
        return 2;
    }
    resp->body = (handler_bytes){resp->buffer, (uint64_t)n};
    return 0;
}
