/*
 * crashy: a handler that ends its process in the ways process isolation must contain, one per
 * request body (run it in process isolation only: each of these ends the JVM in-process):
 *   "exit"       exit(3)
 *   "abort"      prints a line to stderr, then abort()
 *   "segv"       writes through a NULL pointer
 *   "overrun"    writes 4 MiB past the start of the 64 KiB scratch buffer
 *   "unmapped"   answers with a header array at an address that is not mapped
 *   "hang"       never returns
 *   "spin"       never returns, and burns CPU time meanwhile
 *   "alloc:<MiB>" allocates and touches that much memory, fails (code 12) if it cannot
 *   "thread"     starts a thread that keeps running the library's code, then answers
 *   "segv-after:<ms>" answers, and a thread it started writes through a NULL pointer <ms> later
 *   "fork"       starts a process that sleeps for ever, holding the worker's stdout and stderr;
 *                answers "alive <pid> child <child's pid>"
 *   "escape"     the same, but the process first leaves the worker's process group and session
 *                (setsid, as a daemon does)
 * anything else: "alive <pid>" (the worker's process id).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handler.h"

HANDLER_DEFINE_ABI_VERSION()

static volatile unsigned long spins;

static int is(const handler_request *req, const char *word) {
    size_t n = strlen(word);
    return req->body.len == n && memcmp(req->body.data, word, n) == 0;
}

static void *keep_running(void *arg) {
    (void)arg;
    for (;;) {
        spins++;
        usleep(1000);
    }
    return NULL;
}

static void *crash_later(void *arg) {
    usleep((useconds_t)(uintptr_t)arg * 1000u);
    *(volatile int *)(uintptr_t)(spins & 0) = 1;
    return NULL;
}

/* A child that sleeps for ever; it says so on the stdout it shares with the worker. */
static pid_t sleeper(int leave_group) {
    pid_t child = fork();
    if (child == 0) {
        if (leave_group) {
            setsid();
        }
        char line[64];
        int n = snprintf(line, sizeof line, "crashy: child %ld sleeps\n", (long)getpid());
        if (write(1, line, (size_t)n) < 0 && errno == EPIPE) {
            _exit(1);
        }
        for (;;) {
            pause();
        }
    }
    return child;
}

HANDLER_EXPORT int32_t handler_entry(const handler_context *ctx, const handler_request *req,
                                     handler_response *resp) {
    (void)ctx;
    if (is(req, "exit")) {
        exit(3);
    } else if (is(req, "abort")) {
        fprintf(stderr, "crashy: giving up on purpose\n");
        abort();
    } else if (is(req, "segv")) {
        *(volatile int *)(uintptr_t)req->header_count = 1; /* header_count is 0: a NULL write */
    } else if (is(req, "overrun")) {
        memset(resp->buffer, 'x', 4u << 20);
    } else if (is(req, "unmapped")) {
        resp->headers = (const handler_header *)(uintptr_t)0x10;
        resp->header_count = 1;
    } else if (is(req, "hang")) {
        for (;;) {
            pause();
        }
    } else if (req->body.len > 11 && memcmp(req->body.data, "segv-after:", 11) == 0) {
        char number[16] = {0};
        memcpy(number, req->body.data + 11, req->body.len - 11 < 15 ? req->body.len - 11 : 15);
        pthread_t thread;
        pthread_create(&thread, NULL, crash_later, (void *)(uintptr_t)atoi(number));
        pthread_detach(thread);
    } else if (req->body.len > 6 && memcmp(req->body.data, "alloc:", 6) == 0) {
        char number[16] = {0};
        memcpy(number, req->body.data + 6, req->body.len - 6 < 15 ? req->body.len - 6 : 15);
        size_t bytes = (size_t)atoi(number) << 20;
        char *memory = malloc(bytes);
        if (memory == NULL) {
            resp->error_message = HANDLER_STR("crashy: malloc failed");
            return 12;
        }
        memset(memory, 1, bytes);
        free(memory);
    } else if (is(req, "spin")) {
        for (;;) {
            spins++;
        }
    } else if (is(req, "thread")) {
        pthread_t thread;
        pthread_create(&thread, NULL, keep_running, NULL);
        pthread_detach(thread);
    } else if (is(req, "fork") || is(req, "escape")) {
        pid_t child = sleeper(is(req, "escape"));
        if (child < 0) {
            resp->error_message = HANDLER_STR("crashy: fork failed");
            return 11;
        }
        int n = snprintf((char *)resp->buffer, resp->buffer_capacity, "alive %ld child %ld", (long)getpid(),
                         (long)child);
        resp->body = (handler_bytes){resp->buffer, (uint64_t)n};
        resp->status = 200;
        return 0;
    }
    int n = snprintf((char *)resp->buffer, resp->buffer_capacity, "alive %ld", (long)getpid());
    resp->body = (handler_bytes){resp->buffer, (uint64_t)n};
    resp->status = 200;
    return 0;
}
