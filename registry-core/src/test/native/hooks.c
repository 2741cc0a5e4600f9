/*
 * hooks: lifecycle hooks that take as long as a test wants. Next to its library_path:
 *   <path>.init-hold present:     handler_init waits until <path>.init-go exists
 *   <path>.shutdown-hold present: handler_shutdown waits until <path>.shutdown-go exists
 * and records "init", "init returned", "shutdown", "shutdown returned" in <path>.events.
 * Gives up waiting after 60 s.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "handler.h"

HANDLER_DEFINE_ABI_VERSION()

static char base[4096];

static void record(const char *event) {
    char path[4200];
    snprintf(path, sizeof path, "%s.events", base);
    FILE *f = fopen(path, "a");
    if (f != NULL) {
        fprintf(f, "%s\n", event);
        fclose(f);
    }
}

static int exists(const char *suffix) {
    char path[4200];
    snprintf(path, sizeof path, "%s.%s", base, suffix);
    return access(path, F_OK) == 0;
}

static void hold(const char *hold, const char *go) {
    if (!exists(hold)) {
        return;
    }
    struct timespec ms = {0, 1000000};
    for (int i = 0; i < 60000 && !exists(go); i++) {
        nanosleep(&ms, NULL);
    }
}

HANDLER_EXPORT int32_t handler_init(handler_init_args *init) {
    snprintf(base, sizeof base, "%.*s", (int)init->library_path.len, (const char *)init->library_path.data);
    record("init");
    hold("init-hold", "init-go");
    record("init returned");
    return 0;
}

HANDLER_EXPORT void handler_shutdown(void) {
    record("shutdown");
    hold("shutdown-hold", "shutdown-go");
    record("shutdown returned");
}

HANDLER_EXPORT int32_t handler_entry(const handler_context *ctx, const handler_request *req,
                                     handler_response *resp) {
    (void)ctx;
    (void)req;
    resp->body = HANDLER_STR("hooks");
    return 0;
}
