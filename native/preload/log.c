/*
 * One JSON line per denial, written with a single write() on an O_APPEND descriptor so lines
 * from concurrent processes never interleave. The log is opened per denial (denials are rare)
 * through the raw syscall, so the guard never judges or recurses into its own logging.
 * The daemon creates the log; the guard never creates it, so an agent cannot own it.
 */
#define _GNU_SOURCE
#include "guard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct buf {
    char *p;
    size_t n, cap;
};

static void put(struct buf *b, const char *s, size_t n) {
    if (b->n + n >= b->cap) n = b->cap > b->n + 1 ? b->cap - b->n - 1 : 0;
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

static void putstr(struct buf *b, const char *s) {
    static const char hex[] = "0123456789abcdef";
    put(b, "\"", 1);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        /* Keep room to close the string and the line: a cut value beats a broken line. */
        if (b->n + 32 >= b->cap) break;
        if (*c == '"' || *c == '\\') { char e[2] = { '\\', (char)*c }; put(b, e, 2); }
        else if (*c == '\n') put(b, "\\n", 2);
        else if (*c == '\t') put(b, "\\t", 2);
        else if (*c < 0x20 || *c == 0x7f) { char e[6] = { '\\', 'u', '0', '0', hex[*c >> 4], hex[*c & 15] }; put(b, e, 6); }
        else put(b, (const char *)c, 1);
    }
    put(b, "\"", 1);
}

static void putnum(struct buf *b, long v) {
    char s[24];
    int n = snprintf(s, sizeof s, "%ld", v);
    put(b, s, (size_t)n);
}

static void head(struct buf *b, const char *event) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    puts_(b, "{\"v\":1,\"ts\":");
    putnum(b, (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    puts_(b, ",\"event\":");
    putstr(b, event);
    puts_(b, ",\"pid\":");
    putnum(b, (long)getpid());
    puts_(b, ",\"ppid\":");
    putnum(b, (long)getppid());
    puts_(b, ",\"uid\":");
    putnum(b, (long)getuid());
    puts_(b, ",\"euid\":");
    putnum(b, (long)geteuid());
    puts_(b, ",\"exe\":");
    putstr(b, exe);
}

static void emit(const struct cg_policy *p, struct buf *b, const char *human) {
    /* cap leaves 8 bytes beyond it, so the line always closes. */
    b->p[b->n++] = '}';
    b->p[b->n++] = '\n';
    b->p[b->n] = 0;
    int saved = errno;
    const char *path = p->log ? p->log : "/var/log/clawav/preload.log";
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    ssize_t w = -1;
    if (fd >= 0) {
        w = write(fd, b->p, b->n);
        close(fd);
    }
    /* The agent is told why its call failed; without a log it is the only trace left here. */
    if (!p->quiet || w < 0) {
        char line[1024]; /* stack use stays small: the guard runs on threads with small stacks too */
        int n = snprintf(line, sizeof line, "clawguard: %s%s\n", human, w < 0 ? " (preload log unavailable)" : "");
        if (n > 0) { ssize_t ignored = write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1); (void)ignored; }
    }
    errno = saved;
}

void cg_log_denial(const struct cg_policy *p, const struct cg_denial *d) {
    char storage[8192];
    struct buf b = { storage, 0, sizeof storage - 8 };
    head(&b, "deny");
    puts_(&b, ",\"call\":");
    putstr(&b, d->call);
    puts_(&b, ",\"op\":");
    putstr(&b, d->op);
    puts_(&b, ",\"rule\":");
    putstr(&b, d->rule);
    if (d->index >= 0) { puts_(&b, ",\"index\":"); putnum(&b, d->index); }
    puts_(&b, ",\"policy\":");
    putstr(&b, p->source);
    if (d->addr) { puts_(&b, ",\"addr\":"); putstr(&b, d->addr); puts_(&b, ",\"port\":"); putnum(&b, d->port); }
    if (d->path) { puts_(&b, ",\"path\":"); putstr(&b, d->path); }
    if (d->resolved) { puts_(&b, ",\"resolved\":"); putstr(&b, d->resolved); }
    if (d->argv) {
        puts_(&b, ",\"argv\":[");
        for (int i = 0; d->argv[i] && b.n + 64 < b.cap; i++) {
            if (i) put(&b, ",", 1);
            putstr(&b, d->argv[i]);
        }
        put(&b, "]", 1);
    }
    char human[768];
    if (d->addr) snprintf(human, sizeof human, "%s denied: connect to %s port %d (%s)", d->call, d->addr, d->port, d->rule);
    else snprintf(human, sizeof human, "%s denied: %s %s (%s)", d->call, d->op, d->resolved ? d->resolved : d->path ? d->path : "?", d->rule);
    emit(p, &b, human);
}

void cg_log_notice(const struct cg_policy *p, const char *event, const char *detail) {
    char storage[4096];
    struct buf b = { storage, 0, sizeof storage - 8 };
    head(&b, event);
    puts_(&b, ",\"detail\":");
    putstr(&b, detail);
    puts_(&b, ",\"policy\":");
    putstr(&b, p->source);
    char human[512];
    snprintf(human, sizeof human, "%s: %s", event, detail);
    emit(p, &b, human);
}
