/*
 * lifecycle: records handler_init and handler_shutdown in "<library_path>.events", so a test can
 * see when (and how often) each ran. Answers with the endpoint id and path it was initialized with.
 */
#include <stdio.h>
#include <string.h>

#include "handler.h"

HANDLER_DEFINE_ABI_VERSION()

static char events[4096];
static char answer[8192];

static void record(const char *event) {
    FILE *f = fopen(events, "a");
    if (f != NULL) {
        fputs(event, f);
        fclose(f);
    }
}

HANDLER_EXPORT int32_t handler_init(handler_init_args *init) {
    snprintf(events, sizeof events, "%.*s.events", (int)init->library_path.len,
             (const char *)init->library_path.data);
    snprintf(answer, sizeof answer, "endpoint=%.*s path=%.*s abi=%u", (int)init->endpoint_id.len,
             (const char *)init->endpoint_id.data, (int)init->library_path.len,
             (const char *)init->library_path.data, init->abi_version);
    record("init\n");
    return 0;
}

HANDLER_EXPORT void handler_shutdown(void) {
    record("shutdown\n");
}

HANDLER_EXPORT int32_t handler_entry(const handler_context *ctx, const handler_request *req,
                                     handler_response *resp) {
    (void)ctx;
    (void)req;
    resp->body = (handler_bytes){(const uint8_t *)answer, strlen(answer)};
    return 0;
}
