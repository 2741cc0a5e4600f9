/* origin: finds its dependency next to itself (linked with -rpath '$ORIGIN'), as libraries shipped
 * with their own dependencies do. */
#include <string.h>

#include "handler.h"

const char *origin_dep_greeting(void);

HANDLER_DEFINE_ABI_VERSION()

HANDLER_EXPORT int32_t handler_entry(const handler_context *ctx, const handler_request *req,
                                     handler_response *resp) {
    (void)ctx;
    (void)req;
    const char *text = origin_dep_greeting();
    resp->body = (handler_bytes){(const uint8_t *)text, strlen(text)};
    return 0;
}
