/* unresolved: calls a function no library defines. Lazy binding would load it and kill the JVM at
 * the first call; the registry must refuse it at load. */
#include "handler.h"

extern int function_that_exists_nowhere(int);

HANDLER_DEFINE_ABI_VERSION()

HANDLER_EXPORT int32_t handler_entry(const handler_context *ctx, const handler_request *req,
                                     handler_response *resp) {
    (void)ctx;
    (void)resp;
    return function_that_exists_nowhere((int)req->body.len);
}
