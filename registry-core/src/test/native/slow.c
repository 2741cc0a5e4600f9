/*
 * slow: holds a call inside native code for as long as the test wants.
 *   body "sleep:<ms>"   sleeps that long;
 *   body "wait:<path>"  writes <path>.inside (a test in another process sees the call is inside),
 *                       then returns once <path> exists (polls every millisecond, gives up after 60 s).
 * Answers TAG (v1/v2).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "handler.h"

#ifndef TAG
#define TAG "slow"
#endif

HANDLER_DEFINE_ABI_VERSION()

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

HANDLER_EXPORT int32_t handler_entry(const handler_context *ctx, const handler_request *req,
                                     handler_response *resp) {
    (void)ctx;
    char arg[1024];
    size_t n = req->body.len < sizeof arg - 1 ? req->body.len : sizeof arg - 1;
    memcpy(arg, req->body.data, n);
    arg[n] = '\0';
    if (strncmp(arg, "sleep:", 6) == 0) {
        sleep_ms(atol(arg + 6));
    } else if (strncmp(arg, "wait:", 5) == 0) {
        char inside[1100];
        snprintf(inside, sizeof inside, "%s.inside", arg + 5);
        FILE *marker = fopen(inside, "w");
        if (marker != NULL) {
            fclose(marker);
        }
        for (int i = 0; i < 60000 && access(arg + 5, F_OK) != 0; i++) {
            sleep_ms(1);
        }
    }
    resp->body = HANDLER_STR(TAG);
    return 0;
}
