/* no_abi: has handler_entry but was not built against handler.h's version export. */
#include "handler.h"

HANDLER_EXPORT int32_t handler_entry(const handler_context *ctx, const handler_request *req,
                                     handler_response *resp) {
    (void)ctx;
    (void)req;
    (void)resp;
    return 0;
}
