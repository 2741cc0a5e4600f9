/* ctor_abort: a library whose constructor aborts while it is being loaded. */
#include <stdio.h>
#include <stdlib.h>

#include "handler.h"

HANDLER_DEFINE_ABI_VERSION()

__attribute__((constructor)) static void explode(void) {
    fprintf(stderr, "ctor_abort: the constructor gives up\n");
    abort();
}

HANDLER_EXPORT int32_t handler_entry(const handler_context *ctx, const handler_request *req,
                                     handler_response *resp) {
    (void)ctx;
    (void)req;
    resp->status = 200;
    return 0;
}
