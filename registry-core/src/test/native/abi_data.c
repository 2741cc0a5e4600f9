/* abi_data: exports handler_abi_version as a data object, not a function (an easy slip in a
 * language binding); the registry must refuse it before calling it. */
#include "handler.h"

__attribute__((visibility("default"))) const uint32_t abi_version_as_data __asm__("handler_abi_version") =
    HANDLER_ABI_VERSION;

HANDLER_EXPORT int32_t handler_entry(const handler_context *ctx, const handler_request *req,
                                     handler_response *resp) {
    (void)ctx;
    (void)req;
    resp->body = HANDLER_STR("abi_data");
    return 0;
}
