/* missing_dep: linked against libdep_helper.so, which is not where the loader looks. */
#include "handler.h"

int dep_helper_value(void);

HANDLER_DEFINE_ABI_VERSION()

HANDLER_EXPORT int32_t handler_entry(const handler_context *ctx, const handler_request *req,
                                     handler_response *resp) {
    (void)ctx;
    (void)req;
    (void)resp;
    return dep_helper_value() - 1;
}
