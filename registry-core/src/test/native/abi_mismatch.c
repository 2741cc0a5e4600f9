/* abi_mismatch: built for a future ABI version 2. */
#include "handler.h"

HANDLER_EXPORT uint32_t handler_abi_version(void) { return 2; }

HANDLER_EXPORT int32_t handler_entry(const handler_context *ctx, const handler_request *req,
                                     handler_response *resp) {
    (void)ctx;
    (void)req;
    (void)resp;
    return 0;
}
