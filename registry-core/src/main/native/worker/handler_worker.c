/*
 * handler-worker: runs one handler library in a process of its own (process isolation).
 *
 *   handler-worker CHANNEL LIBRARY ENDPOINT SOURCE MEMORY_LIMIT CPU_LIMIT
 *
 * The registry starts it with CHANNEL, a file it created and sized, holding a header and one slot
 * per concurrent call (layout below, mirrored by WorkerChannel.java). The worker loads LIBRARY (the
 * version's private copy) with the same rules as in-process: RTLD_NOW | RTLD_LOCAL, the ABI version
 * checked, handler_entry required, handler_init called once. It then reports READY (or why it
 * refused) in the header and serves the calls: the registry writes a request into a slot and sets
 * its state to REQUEST; a thread of the worker calls handler_entry, writes the response back and
 * sets RESPONSE. One thread at a time polls the slots (it holds the poller token) and serves what it
 * finds itself, so that calls from several registry threads cost the cores no more spinning threads
 * than calls from one: two callers and one poller on two cores, where a thread per slot made four
 * spinning threads take turns. The other threads (one per slot: every slot can be served at once)
 * sleep on the doorbell. A caller rings it when no thread is awake, or when its request was not
 * taken within a few microseconds (the poller is inside a slow call): a woken thread takes the free
 * token, or the request itself. A slot whose calls are slow (several in a row over 25 us, such as
 * a handler that waits for I/O) keeps the thread that served it, which waits for the slot's next
 * request as a thread of its own would. Both sides spin briefly, then sleep on a futex, and wake the
 * other only when it sleeps.
 *
 * The worker starts a session of its own (setsid) before anything else: signals for the terminal's
 * process group (Ctrl-C, Ctrl-\, a hang-up) never reach it, and whatever it starts stays in its
 * process group, which the registry kills with it.
 *
 * Standard input is the registry's line to the worker: "shutdown" runs handler_shutdown and exits
 * 0; end of file (the registry closed it, or its JVM died, even by kill -9) kills the worker's
 * process group at once, the worker and whatever it started. So no worker outlives its registry. A
 * crash ends only this process: the registry sees its exit status and the last lines it wrote to
 * stderr.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "handler.h"

/* channel header */
#define MAGIC 0x32575248u /* "HRW2" */
#define HEADER_SIZE 4096
#define H_MAGIC 0         /* u32 */
#define H_SLOTS 4         /* u32 */
#define H_SLOT_SIZE 8     /* u64: bytes per slot, control included */
#define H_REQUEST_AREA 16 /* u64: bytes of a slot's request area */
#define H_STATE 24        /* i32 futex word: STARTING, READY, REFUSED */
#define H_REASON 28       /* i32: why it refused */
#define H_DETAIL_LEN 32   /* u32 */
#define H_PID 36          /* i32 */
#define H_INIT_CODE 40    /* i32: what handler_init returned */
#define H_ABI 44          /* u32: the library's ABI version */
#define H_DETAIL 64
#define H_AWAKE 4032    /* i32: worker threads not asleep on the doorbell (a line of its own) */
#define H_DOORBELL 4036 /* i32 futex word: callers add one and wake a sleeping thread */
#define MAX_DETAIL (H_AWAKE - H_DETAIL)
enum { STARTING = 0, READY = 1, REFUSED = 2 };
enum { R_LOAD = 1, R_NO_ABI = 2, R_ABI_MISMATCH = 3, R_NO_ENTRY = 4, R_INIT_FAILED = 5, R_CHANNEL = 6 };

/* slot control: the caller and the serving thread hand the call over on the first line; the second
 * is the worker's, read by the caller only when its request waits long */
#define S_STATE 0        /* i32 futex word */
#define S_CALLER_WAITS 8 /* i32: the caller sleeps on S_STATE */
#define S_TAKEN 64       /* i32: 1 while a worker thread serves the slot's request */
#define S_DATA 128
enum { IDLE = 0, REQUEST = 1, RESPONSE = 2, DEAD = 3 };

/* request, at S_DATA */
#define Q_ID 0
#define Q_DEADLINE 8
#define Q_METHOD 16
#define Q_PATH 20
#define Q_QUERY 24
#define Q_HEADERS 28
#define Q_BODY 32
#define Q_TABLE 40 /* per header: u32 name length, u32 value length; then the bytes in order */

/* response, at S_DATA + request area */
#define P_OUTCOME 0 /* OK, FAILED (handler_entry's code in P_STATUS), BROKEN or TOO_LARGE (P_MESSAGE) */
#define P_STATUS 4
#define P_HEADERS 8
#define P_MESSAGE 12
#define P_BODY 16
#define P_TABLE 24 /* per header: u32, u32; then the header bytes, the body, the message */
enum { OK = 0, FAILED = 1, BROKEN = 2, TOO_LARGE = 3 };

#define SCRATCH_SIZE (64u * 1024u)
/* the stack of each slot's thread: twice a JVM thread's default, on which in-process calls run */
#define STACK_SIZE (2u << 20)
#define MAX_HEADERS 4096u
#define MAX_MESSAGE (64u * 1024u)

typedef uint32_t (*abi_fn)(void);
typedef int32_t (*entry_fn)(const handler_context *, const handler_request *, handler_response *);
typedef int32_t (*init_fn)(handler_init_args *);
typedef void (*release_fn)(handler_response *);
typedef void (*shutdown_fn)(void);

static uint8_t *channel;
static uint32_t slot_count;
static uint64_t slot_size, request_area;
static entry_fn entry;
static release_fn release;
static handler_bytes endpoint_id;

static atomic_int *word(uint8_t *base, size_t offset) {
    return (atomic_int *)(base + offset);
}

static void futex_wait(atomic_int *address, int value) {
    syscall(SYS_futex, address, FUTEX_WAIT, value, NULL, NULL, 0);
}

static void futex_wake(atomic_int *address) {
    syscall(SYS_futex, address, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}

static inline void pause_cpu(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static long spin_ns = 50000; /* how long to spin before sleeping; the registry sets HANDLER_WORKER_SPIN_NS */

static long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void refuse(int reason, const char *detail) {
    size_t n = strlen(detail);
    if (n > MAX_DETAIL) {
        n = MAX_DETAIL;
    }
    memcpy(channel + H_DETAIL, detail, n);
    *(uint32_t *)(channel + H_DETAIL_LEN) = (uint32_t)n;
    *(int32_t *)(channel + H_REASON) = reason;
    atomic_store(word(channel, H_STATE), REFUSED);
    futex_wake(word(channel, H_STATE));
    _exit(0);
}

static uint32_t u32(const uint8_t *at) {
    uint32_t v;
    memcpy(&v, at, sizeof v);
    return v;
}

static uint64_t u64(const uint8_t *at) {
    uint64_t v;
    memcpy(&v, at, sizeof v);
    return v;
}

static void put32(uint8_t *at, uint32_t v) {
    memcpy(at, &v, sizeof v);
}

static void put64(uint8_t *at, uint64_t v) {
    memcpy(at, &v, sizeof v);
}

/* What one worker thread keeps between calls. */
typedef struct worker_thread {
    uint8_t *slot; /* of the call it serves */
    uint8_t *scratch;
    handler_header *headers; /* the request's, rebuilt for every call */
    uint32_t headers_capacity;
} worker_thread;

/* A range a response points to: fine outside the call memory, or wholly inside the scratch buffer
 * or this call's request bytes (the same rule as in-process). */
static const char *check_range(const worker_thread *t, const uint8_t *bytes_start, const uint8_t *bytes_end,
                               const uint8_t *data, uint64_t len) {
    uintptr_t a = (uintptr_t)data, b = a + len;
    if (len == 0) {
        return NULL;
    }
    if (data == NULL || b < a) {
        return "a NULL or wrapping pointer";
    }
    uintptr_t s = (uintptr_t)t->scratch, se = s + SCRATCH_SIZE;
    if (a < se && b > s) {
        return a >= s && b <= se ? NULL : "a range reaching outside resp->buffer";
    }
    uintptr_t c = (uintptr_t)t->slot, ce = c + slot_size;
    if (a < ce && b > c) {
        return a >= (uintptr_t)bytes_start && b <= (uintptr_t)bytes_end ? NULL
               : "a range into the host's call memory outside the request";
    }
    return NULL;
}

static void broken(uint8_t *out, uint64_t room, const char *what, const char *field) {
    char text[256];
    int n = snprintf(text, sizeof text, "%s: %s", field, what);
    if (n < 0) {
        n = 0;
    }
    if ((uint64_t)n + P_TABLE > room) {
        n = 0;
    }
    put32(out + P_OUTCOME, BROKEN);
    put32(out + P_MESSAGE, (uint32_t)n);
    put32(out + P_HEADERS, 0);
    put64(out + P_BODY, 0);
    memcpy(out + P_TABLE, text, (size_t)n);
}

/* Serves one request in t->slot: decode, call, check, encode. */
static void serve(worker_thread *t) {
    uint8_t *in = t->slot + S_DATA;
    uint8_t *out = in + request_area;
    uint64_t room = slot_size - S_DATA - request_area;
    uint32_t count = u32(in + Q_HEADERS);
    if (count > t->headers_capacity) {
        free(t->headers);
        t->headers = malloc(sizeof(handler_header) * count);
        t->headers_capacity = t->headers ? count : 0;
        if (!t->headers) {
            broken(out, room, "the worker is out of memory", "request headers");
            return;
        }
    }
    const uint8_t *p = in + Q_TABLE + (uint64_t)count * 8;
    const uint8_t *bytes_start = p;
    handler_request req = {.size = sizeof(handler_request), .header_count = count, .headers = t->headers};
    req.method = (handler_bytes){p, u32(in + Q_METHOD)};
    p += req.method.len;
    req.path = (handler_bytes){p, u32(in + Q_PATH)};
    p += req.path.len;
    req.query = (handler_bytes){p, u32(in + Q_QUERY)};
    p += req.query.len;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t name = u32(in + Q_TABLE + (uint64_t)i * 8), value = u32(in + Q_TABLE + (uint64_t)i * 8 + 4);
        t->headers[i].name = (handler_bytes){p, name};
        p += name;
        t->headers[i].value = (handler_bytes){p, value};
        p += value;
    }
    req.body = (handler_bytes){p, u64(in + Q_BODY)};
    const uint8_t *bytes_end = p + req.body.len;
    handler_context ctx = {.size = sizeof(handler_context), .abi_version = HANDLER_ABI_VERSION,
                           .endpoint_id = endpoint_id, .request_id = u64(in + Q_ID),
                           .deadline_unix_ns = (int64_t)u64(in + Q_DEADLINE)};
    handler_response resp = {.size = sizeof(handler_response), .status = 200, .buffer = t->scratch,
                             .buffer_capacity = SCRATCH_SIZE};
    int32_t code = entry(&ctx, &req, &resp);
    const char *bad = NULL;
    const char *field = NULL;
    if (code != 0) {
        uint64_t length = resp.error_message.len;
        if (length > MAX_MESSAGE) {
            length = MAX_MESSAGE;
        }
        if (check_range(t, bytes_start, bytes_end, resp.error_message.data, length) != NULL) {
            length = 0; /* not shown, as in-process */
        }
        if (length + P_TABLE > room) {
            length = room - P_TABLE;
        }
        put32(out + P_OUTCOME, FAILED);
        put32(out + P_STATUS, (uint32_t)code);
        put32(out + P_HEADERS, 0);
        put64(out + P_BODY, 0);
        put32(out + P_MESSAGE, (uint32_t)length);
        if (length > 0) {
            memcpy(out + P_TABLE, resp.error_message.data, length);
        }
    } else if (resp.status < 100 || resp.status > 599) {
        char what[64];
        snprintf(what, sizeof what, "status %d: an HTTP status is 100 to 599", resp.status);
        broken(out, room, what, "status");
    } else if (resp.header_count > MAX_HEADERS || (resp.header_count > 0 && resp.headers == NULL)) {
        broken(out, room, "header_count out of range, or headers NULL", "headers");
    } else if ((bad = check_range(t, bytes_start, bytes_end, (const uint8_t *)resp.headers,
                                  (uint64_t)resp.header_count * sizeof(handler_header))) != NULL) {
        broken(out, room, bad, "headers");
    } else {
        uint64_t total = P_TABLE + (uint64_t)resp.header_count * 8;
        for (uint32_t i = 0; i < resp.header_count && bad == NULL; i++) {
            const handler_header *h = &resp.headers[i];
            if (h->name.len > UINT32_MAX || h->value.len > UINT32_MAX) {
                bad = "a header longer than 4 GiB";
            } else if ((bad = check_range(t, bytes_start, bytes_end, h->name.data, h->name.len)) == NULL) {
                bad = check_range(t, bytes_start, bytes_end, h->value.data, h->value.len);
            }
            total += h->name.len + h->value.len;
        }
        field = bad != NULL ? "header" : "body";
        if (bad == NULL) {
            bad = check_range(t, bytes_start, bytes_end, resp.body.data, resp.body.len);
        }
        total += resp.body.len;
        if (bad != NULL) {
            broken(out, room, bad, field);
        } else if (total > room || total < resp.body.len) {
            put32(out + P_OUTCOME, TOO_LARGE);
            put64(out + P_BODY, total);
            put32(out + P_MESSAGE, 0);
        } else {
            put32(out + P_OUTCOME, OK);
            put32(out + P_STATUS, (uint32_t)resp.status);
            put32(out + P_HEADERS, resp.header_count);
            put32(out + P_MESSAGE, 0);
            put64(out + P_BODY, resp.body.len);
            uint8_t *w = out + P_TABLE + (uint64_t)resp.header_count * 8;
            for (uint32_t i = 0; i < resp.header_count; i++) {
                const handler_header *h = &resp.headers[i];
                put32(out + P_TABLE + (uint64_t)i * 8, (uint32_t)h->name.len);
                put32(out + P_TABLE + (uint64_t)i * 8 + 4, (uint32_t)h->value.len);
                if (h->name.len) {
                    memcpy(w, h->name.data, h->name.len);
                }
                w += h->name.len;
                if (h->value.len) {
                    memcpy(w, h->value.data, h->value.len);
                }
                w += h->value.len;
            }
            if (resp.body.len) {
                memcpy(w, resp.body.data, resp.body.len);
            }
        }
    }
    if (resp.release_data != NULL) {
        if (release != NULL) {
            release(&resp);
        } else if (code == 0 && u32(out + P_OUTCOME) == OK) {
            broken(out, room, "release_data set but no handler_release exported: its memory leaks", "release_data");
        }
    }
}

/* held by the thread that polls the slots; given up while it serves a call, taken by whoever is free */
static atomic_int poller_token;

static uint8_t *slot_at(uint32_t i) {
    return channel + HEADER_SIZE + (uint64_t)i * slot_size;
}

/* Takes a request no thread serves yet, looking from *next on (so every slot gets its turn). */
static uint8_t *take_request(uint32_t *next) {
    for (uint32_t k = 0; k < slot_count; k++) {
        uint32_t i = *next + k < slot_count ? *next + k : *next + k - slot_count;
        uint8_t *slot = slot_at(i);
        int untaken = 0;
        if (atomic_load_explicit(word(slot, S_STATE), memory_order_acquire) == REQUEST &&
            atomic_load_explicit(word(slot, S_TAKEN), memory_order_relaxed) == 0 &&
            atomic_compare_exchange_strong(word(slot, S_TAKEN), &untaken, 1)) {
            *next = i + 1 < slot_count ? i + 1 : 0;
            return slot;
        }
    }
    return NULL;
}

/* Whether a request waits that no thread serves yet. */
static int request_waits(void) {
    for (uint32_t i = 0; i < slot_count; i++) {
        uint8_t *slot = slot_at(i);
        if (atomic_load_explicit(word(slot, S_STATE), memory_order_acquire) == REQUEST &&
            atomic_load_explicit(word(slot, S_TAKEN), memory_order_relaxed) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Sleeps on the doorbell until a caller rings, unless a request waits that nobody polls for. */
static void doze(void) {
    atomic_int *awake = word(channel, H_AWAKE), *doorbell = word(channel, H_DOORBELL);
    int ring = atomic_load(doorbell);
    atomic_fetch_sub(awake, 1);
    /* a caller that saw this thread awake did not ring: look once more (callers store REQUEST,
     * then read H_AWAKE; here the other way round) */
    if (atomic_load(&poller_token) == 0 && request_waits()) {
        atomic_fetch_add(awake, 1);
        return;
    }
    futex_wait(doorbell, ring);
    atomic_fetch_add(awake, 1);
}

/* Serves the request in a slot this thread took, and hands the response over. */
static void serve_slot(worker_thread *t, uint8_t *slot) {
    t->slot = slot;
    serve(t);
    atomic_int *state = word(slot, S_STATE);
    atomic_store(state, RESPONSE);
    if (atomic_load(word(slot, S_CALLER_WAITS))) {
        futex_wake(state);
    }
    atomic_store_explicit(word(slot, S_TAKEN), 0, memory_order_release);
}

/* A call longer than this (give or take the few microseconds between clock reads) is slow: the
 * thread that served it then waits for that slot's next request itself, as a thread of its own
 * would, since a slow handler's callers come back after a wake-up. */
#define SLOW_CALL_NS 25000L

/* per slot: how many of its calls in a row were slow (the worker's own memory) */
static atomic_uchar *slow_streaks;
#define SLOW_STREAK 3 /* a single slow call is more often a thread that lost its core */

/* Serves the request in a slot; while its calls are slow, serves the slot's next requests too, if
 * they come within spin_ns. *now: the clock read last (a few microseconds before), then after. */
static void serve_calls_of(worker_thread *t, uint8_t *slot, long *now) {
    atomic_uchar *streak = &slow_streaks[(uint64_t)(slot - channel - HEADER_SIZE) / slot_size];
    for (;;) {
        long before = *now;
        serve_slot(t, slot);
        *now = now_ns();
        unsigned slow = atomic_load_explicit(streak, memory_order_relaxed);
        if (*now - before <= SLOW_CALL_NS) {
            atomic_store_explicit(streak, 0, memory_order_relaxed);
            return;
        }
        if (slow < SLOW_STREAK) {
            atomic_store_explicit(streak, (unsigned char)(slow + 1), memory_order_relaxed);
            return;
        }
        long until = *now + spin_ns;
        for (unsigned i = 1;; i++) {
            int untaken = 0;
            if (atomic_load_explicit(word(slot, S_STATE), memory_order_acquire) == REQUEST &&
                atomic_load_explicit(word(slot, S_TAKEN), memory_order_relaxed) == 0 &&
                atomic_compare_exchange_strong(word(slot, S_TAKEN), &untaken, 1)) {
                break;
            }
            if ((i & 63) == 0) {
                *now = now_ns();
                if (*now > until) {
                    return;
                }
            }
            if (i < 256) {
                pause_cpu();
            } else {
                sched_yield(); /* more threads than cores spin: let one that has work run */
            }
        }
    }
}

/* Every worker thread: polls while it holds the token, serves what it finds (giving the token up
 * meanwhile), and sleeps when another thread polls or nothing came for a while. A thread woken by
 * the doorbell while another polls takes a request that waits itself: its caller rang because the
 * poller is inside a slow call. */
static void *serve_calls(void *arg) {
    worker_thread *t = arg;
    uint32_t next = 0;
    int woken = 0;
    long now = now_ns();
    for (;;) {
        int free_token = 0;
        if (!atomic_compare_exchange_strong(&poller_token, &free_token, 1)) {
            uint8_t *waiting = woken ? take_request(&next) : NULL;
            woken = 0;
            if (waiting != NULL) {
                serve_calls_of(t, waiting, &now);
            } else {
                doze();
                woken = 1;
                now = now_ns();
            }
            continue;
        }
        woken = 0;
        long until = now + spin_ns;
        uint8_t *slot = NULL;
        for (unsigned i = 1; (slot = take_request(&next)) == NULL; i++) {
            if ((i & 63) == 0) {
                now = now_ns();
                if (now > until) {
                    break;
                }
            }
            if (i < 256) {
                pause_cpu();
            } else {
                sched_yield(); /* more threads than cores spin: let one that has work run */
            }
        }
        atomic_store_explicit(&poller_token, 0, memory_order_release);
        if (slot == NULL) { /* nothing came for a while */
            doze();
            woken = 1;
            now = now_ns();
            continue;
        }
        serve_calls_of(t, slot, &now);
    }
    return NULL;
}

static void limit(int resource, const char *value) {
    unsigned long long n = strtoull(value, NULL, 10);
    if (n > 0) {
        /* CPU: SIGXCPU at the limit (reported as such), SIGKILL a second later if it is ignored */
        struct rlimit r = {n, resource == RLIMIT_CPU ? n + 1 : n};
        if (setrlimit(resource, &r) != 0) {
            fprintf(stderr, "handler-worker: cannot set limit %d to %llu: %s\n", resource, n, strerror(errno));
        }
    }
}

int main(int argc, char **argv) {
    /* a session and process group of its own, first: the terminal's signals are not for it, and the
     * registry ends it with all it started by killing the group */
    setsid();
    if (argc != 7) {
        fprintf(stderr, "usage: handler-worker CHANNEL LIBRARY ENDPOINT SOURCE MEMORY_LIMIT CPU_LIMIT\n"
                        "(started by the handler registry for an endpoint in process isolation)\n");
        return 64;
    }
    setvbuf(stdout, NULL, _IOLBF, 0); /* a handler's output reaches the log before a crash */
    /* the registry's line, kept away from programs the handler runs: they read /dev/null */
    int registry_line = fcntl(0, F_DUPFD_CLOEXEC, 3);
    int null_input = open("/dev/null", O_RDONLY);
    if (registry_line < 0 || null_input < 0 || dup2(null_input, 0) < 0) {
        fprintf(stderr, "handler-worker: cannot set up its standard input: %s\n", strerror(errno));
        return 71;
    }
    close(null_input);
    const char *spin = getenv("HANDLER_WORKER_SPIN_NS");
    if (spin != NULL) {
        spin_ns = strtol(spin, NULL, 10);
    }
    int fd = open(argv[1], O_RDWR | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < HEADER_SIZE) {
        fprintf(stderr, "handler-worker: cannot open the channel %s: %s\n", argv[1], strerror(errno));
        return 66;
    }
    channel = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (channel == MAP_FAILED) {
        fprintf(stderr, "handler-worker: cannot map the channel %s: %s\n", argv[1], strerror(errno));
        return 66;
    }
    *(int32_t *)(channel + H_PID) = (int32_t)getpid();
    if (u32(channel + H_MAGIC) != MAGIC) {
        refuse(R_CHANNEL, "the channel file has the wrong magic number (a registry of another version?)");
    }
    slot_count = u32(channel + H_SLOTS);
    slot_size = u64(channel + H_SLOT_SIZE);
    request_area = u64(channel + H_REQUEST_AREA);
    if ((uint64_t)HEADER_SIZE + slot_count * slot_size > (uint64_t)st.st_size || request_area + S_DATA > slot_size) {
        refuse(R_CHANNEL, "the channel's slots do not fit its size");
    }
    limit(RLIMIT_AS, argv[5]);
    limit(RLIMIT_CPU, argv[6]);
    endpoint_id = (handler_bytes){(const uint8_t *)argv[3], strlen(argv[3])};

    void *library = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *e = dlerror();
        refuse(R_LOAD, e ? e : "dlopen failed");
    }
    abi_fn abi = (abi_fn)dlsym(library, "handler_abi_version");
    if (abi == NULL) {
        refuse(R_NO_ABI, "no handler_abi_version");
    }
    uint32_t version = abi();
    *(uint32_t *)(channel + H_ABI) = version;
    if (version != HANDLER_ABI_VERSION) {
        refuse(R_ABI_MISMATCH, "another ABI version");
    }
    entry = (entry_fn)dlsym(library, "handler_entry");
    if (entry == NULL) {
        refuse(R_NO_ENTRY, "no handler_entry");
    }
    release = (release_fn)dlsym(library, "handler_release");
    shutdown_fn shutdown = (shutdown_fn)dlsym(library, "handler_shutdown");
    init_fn init = (init_fn)dlsym(library, "handler_init");
    if (init != NULL) {
        handler_init_args args = {.size = sizeof(handler_init_args), .abi_version = HANDLER_ABI_VERSION,
                                  .endpoint_id = endpoint_id,
                                  .library_path = {(const uint8_t *)argv[4], strlen(argv[4])}};
        int32_t code = init(&args);
        if (code != 0) {
            char detail[MAX_DETAIL];
            uint64_t n = args.error_message.data == NULL ? 0 : args.error_message.len;
            if (n > sizeof detail - 1) {
                n = sizeof detail - 1;
            }
            if (n > 0) {
                memcpy(detail, args.error_message.data, n);
            }
            detail[n] = 0;
            *(int32_t *)(channel + H_INIT_CODE) = code;
            refuse(R_INIT_FAILED, n > 0 ? detail : "(no message)");
        }
    }

    slow_streaks = calloc(slot_count, sizeof *slow_streaks);
    if (slow_streaks == NULL) {
        refuse(R_CHANNEL, "out of memory starting the worker threads");
    }
    /* one thread per slot, so that every slot can be served at once; all count as awake until they
     * first sleep */
    atomic_store(word(channel, H_AWAKE), (int)slot_count);
    for (uint32_t i = 0; i < slot_count; i++) {
        worker_thread *t = calloc(1, sizeof *t);
        if (t == NULL || (t->scratch = malloc(SCRATCH_SIZE)) == NULL) {
            refuse(R_CHANNEL, "out of memory starting the worker threads");
        }
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, STACK_SIZE);
        int error = pthread_create(&thread, &attr, serve_calls, t);
        if (error != 0) {
            char detail[512];
            snprintf(detail, sizeof detail, "cannot start the thread of call slot %u of %u: %s. Each slot takes a"
                     " %u MiB stack and 2 x process.slot.bytes of shared memory from the worker's address space:"
                     " raise process.memory.limit.mb, or lower process.concurrency",
                     i + 1, slot_count, strerror(error), STACK_SIZE >> 20);
            refuse(R_CHANNEL, detail);
        }
        pthread_attr_destroy(&attr);
    }
    atomic_store(word(channel, H_STATE), READY);
    futex_wake(word(channel, H_STATE));

    char line[64];
    for (;;) {
        ssize_t n = read(registry_line, line, sizeof line);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            /* the registry closed our line or its JVM is gone: end at once, with all we started */
            kill(0, SIGKILL);
            _exit(0);
        }
        if (memchr(line, 's', (size_t)n) != NULL) { /* "shutdown": every call returned already */
            if (shutdown != NULL) {
                shutdown();
            }
            fflush(stdout);
            fflush(stderr);
            _exit(0);
        }
    }
}
