/* failing_init: handler_init refuses to start; the load must fail and change nothing. */
#include "handler.h"

HANDLER_DEFINE_ABI_VERSION()

HANDLER_EXPORT int32_t handler_init(handler_init_args *init) {
    init->error_message = HANDLER_STR("configuration file handler.conf not found");
    return 7;
}

HANDLER_EXPORT int32_t handler_entry(const handler_context *ctx, const handler_request *req,
                                     handler_response *resp) {
    (void)ctx;
    (void)req;
    resp->body = HANDLER_STR("must never be called");
    return 0;
}
