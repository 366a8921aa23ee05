/*
 * The preload policy: a strict parser for exactly the JSON shape clawav writes, and the matchers.
 * No allocation: strings live in the policy's arena. Any deviation (unknown key, wrong type,
 * too many rules) makes the policy invalid, and an invalid policy fails closed (see clawguard.c).
 */
#define _GNU_SOURCE
#include "guard.h"

#include <arpa/inet.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
    const char *start, *s, *end;
    struct cg_policy *p;
    cg_home_fn home;
    int failed;
};

static void fail(struct parser *ps, const char *fmt, ...) {
    if (ps->failed) return;
    ps->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    char msg[200];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(ps->p->error, sizeof ps->p->error, "%s (at byte %ld)", msg, (long)(ps->s - ps->start));
}

static void ws(struct parser *ps) {
    while (ps->s < ps->end && (*ps->s == ' ' || *ps->s == '\t' || *ps->s == '\n' || *ps->s == '\r')) ps->s++;
}

static int peek(struct parser *ps) {
    ws(ps);
    return ps->s < ps->end ? (unsigned char)*ps->s : -1;
}

static int expect(struct parser *ps, char c) {
    if (peek(ps) != c) {
        fail(ps, "expected '%c'", c);
        return 0;
    }
    ps->s++;
    return 1;
}

/* Every string the rules keep lives here; a policy whose kept strings (each with its NUL) exceed
 * the arena is refused as a whole. Keys and the raw form of a ~ path are not kept. */
static char *arena_put(struct parser *ps, const char *a, size_t n) {
    struct cg_policy *p = ps->p;
    if (p->used + n + 1 > CG_ARENA) {
        fail(ps, "policy too large (over %d bytes of strings)", CG_ARENA);
        return NULL;
    }
    char *out = p->arena + p->used;
    memcpy(out, a, n);
    out[n] = 0;
    p->used += n + 1;
    return out;
}

static void put_utf8(char *buf, size_t *n, unsigned cp) {
    if (cp < 0x80) buf[(*n)++] = (char)cp;
    else if (cp < 0x800) { buf[(*n)++] = (char)(0xC0 | (cp >> 6)); buf[(*n)++] = (char)(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) { buf[(*n)++] = (char)(0xE0 | (cp >> 12)); buf[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F)); buf[(*n)++] = (char)(0x80 | (cp & 0x3F)); }
    else { buf[(*n)++] = (char)(0xF0 | (cp >> 18)); buf[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F)); buf[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F)); buf[(*n)++] = (char)(0x80 | (cp & 0x3F)); }
}

static int hex4(const char *s, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

/* The length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *s, const unsigned char *end) {
    unsigned char c = s[0];
    size_t k;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) k = 2;
    else if (c >= 0xE0 && c <= 0xEF) { k = 3; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
    else if (c >= 0xF0 && c <= 0xF4) { k = 4; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
    else return 0;
    if ((size_t)(end - s) < k) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < k; i++) if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return k;
}

/* A JSON string decoded into buf (CG_MAX_STRING + 8 bytes): its length, or -1. */
static long string_into(struct parser *ps, char *buf) {
    if (!expect(ps, '"')) return -1;
    size_t n = 0;
    while (ps->s < ps->end && *ps->s != '"') {
        /* One turn adds at most 4 bytes, so the buffer cannot overflow before this test fires. */
        if (n > CG_MAX_STRING) { fail(ps, "string longer than %d bytes", CG_MAX_STRING); return -1; }
        unsigned char c = (unsigned char)*ps->s;
        if (c < 0x20) { fail(ps, "control character in a string"); return -1; }
        if (c >= 0x80) {
            size_t k = utf8_seq((const unsigned char *)ps->s, (const unsigned char *)ps->end);
            if (!k) { fail(ps, "invalid UTF-8 in a string"); return -1; }
            memcpy(buf + n, ps->s, k);
            n += k;
            ps->s += k;
            continue;
        }
        ps->s++;
        if (c != '\\') { buf[n++] = (char)c; continue; }
        if (ps->s >= ps->end) break;
        char e = *ps->s++;
        switch (e) {
        case '"': case '\\': case '/': buf[n++] = e; break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (ps->end - ps->s < 4 || !hex4(ps->s, &cp)) { fail(ps, "bad \\u escape"); return -1; }
            ps->s += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF) { fail(ps, "unpaired surrogate"); return -1; }
            if (cp >= 0xD800 && cp < 0xDC00) {
                unsigned lo;
                if (ps->end - ps->s < 6 || ps->s[0] != '\\' || ps->s[1] != 'u' || !hex4(ps->s + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF) { fail(ps, "unpaired surrogate"); return -1; }
                ps->s += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (cp == 0) { fail(ps, "NUL in a string"); return -1; }
            put_utf8(buf, &n, cp);
            break;
        }
        default: fail(ps, "bad escape \\%c", e); return -1;
        }
    }
    if (ps->s >= ps->end) { fail(ps, "unterminated string"); return -1; }
    if (n > CG_MAX_STRING) { fail(ps, "string longer than %d bytes", CG_MAX_STRING); return -1; }
    ps->s++;
    buf[n] = 0;
    return (long)n;
}

/* A JSON string kept in the arena. */
static const char *string(struct parser *ps) {
    char buf[CG_MAX_STRING + 8];
    long n = string_into(ps, buf);
    return n < 0 ? NULL : arena_put(ps, buf, (size_t)n);
}

/* A JSON number that is a whole number of at most 9 digits: no sign, fraction, exponent or
 * leading zero (the JSON grammar, narrowed). */
static long integer(struct parser *ps) {
    ws(ps);
    long v = 0;
    int digits = 0;
    const char *s0 = ps->s;
    while (ps->s < ps->end && *ps->s >= '0' && *ps->s <= '9' && digits < 9) { v = v * 10 + (*ps->s++ - '0'); digits++; }
    if (!digits || (ps->s < ps->end && (*ps->s == '.' || *ps->s == 'e' || *ps->s == 'E' || (*ps->s >= '0' && *ps->s <= '9')))) { fail(ps, "expected a whole number"); return -1; }
    if (digits > 1 && *s0 == '0') { fail(ps, "a number with a leading zero"); return -1; }
    return v;
}

static int literal(struct parser *ps, const char *word) {
    ws(ps);
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->s) >= n && memcmp(ps->s, word, n) == 0) { ps->s += n; return 1; }
    return 0;
}

static int boolean(struct parser *ps) {
    if (literal(ps, "true")) return 1;
    if (literal(ps, "false")) return 0;
    fail(ps, "expected true or false");
    return 0;
}

/* Iterates an array: call with *first = 1; returns 1 while there is another element. */
static int array_next(struct parser *ps, int *first) {
    if (ps->failed) return 0;
    if (*first) {
        if (!expect(ps, '[')) return 0;
        *first = 0;
        if (peek(ps) == ']') { ps->s++; return 0; }
        return 1;
    }
    int c = peek(ps);
    if (c == ',') { ps->s++; return 1; }
    if (c == ']') { ps->s++; return 0; }
    fail(ps, "expected ',' or ']'");
    return 0;
}

/* Iterates an object's keys the same way: the key is decoded into key (CG_MAX_STRING + 8 bytes). */
static int object_next(struct parser *ps, int *first, char *key) {
    if (ps->failed) return 0;
    if (*first) {
        if (!expect(ps, '{')) return 0;
        *first = 0;
        if (peek(ps) == '}') { ps->s++; return 0; }
    } else {
        int c = peek(ps);
        if (c == '}') { ps->s++; return 0; }
        if (c != ',') { fail(ps, "expected ',' or '}'"); return 0; }
        ps->s++;
    }
    if (string_into(ps, key) < 0 || !expect(ps, ':')) return 0;
    return 1;
}

/* A key seen twice is refused: JSON.parse would keep the last, this parser appended to lists. */
static int once(struct parser *ps, unsigned *seen, unsigned bit, const char *key) {
    if (*seen & bit) { fail(ps, "\"%s\" given twice", key); return 0; }
    *seen |= bit;
    return 1;
}

static int has_glob(const char *s) {
    return strpbrk(s, "*?[") != NULL;
}

static void path_rule(struct parser *ps, struct cg_path_rule *rules, int *n, const char *key) {
    char raw[CG_MAX_STRING + 8];
    if (string_into(ps, raw) < 0) return;
    if (*n >= CG_MAX_RULES) { fail(ps, "%s: more than %d rules", key, CG_MAX_RULES); return; }
    char buf[PATH_MAX];
    if (raw[0] == '~' && (raw[1] == '/' || raw[1] == 0)) {
        const char *home = ps->home ? ps->home() : NULL;
        if (!home) { fail(ps, "%s: \"%s\" uses ~ but the user has no home directory", key, raw); return; }
        size_t hl = strlen(home), rl = strlen(raw + 1);
        if (hl + rl > CG_MAX_STRING) { fail(ps, "%s: \"%s\" is longer than %d bytes with ~ expanded", key, raw, CG_MAX_STRING); return; }
        memcpy(buf, home, hl);
        memcpy(buf + hl, raw + 1, rl + 1);
    } else {
        /* string_into kept raw within CG_MAX_STRING (< PATH_MAX) bytes. */
        memcpy(buf, raw, strlen(raw) + 1);
    }
    if (buf[0] != '/') { fail(ps, "%s: \"%s\" is not an absolute path (or ~/...)", key, raw); return; }
    size_t len = strlen(buf);
    int dir = len > 1 && buf[len - 1] == '/';
    while (len > 1 && buf[len - 1] == '/') buf[--len] = 0;
    struct cg_path_rule *r = &rules[(*n)++];
    r->glob = has_glob(buf);
    r->dir = dir;
    r->len = len;
    r->literal = strcspn(buf, "*?[");
    r->pattern = arena_put(ps, buf, len);
}

/* "bash -c" (seed 000's form) or {"exe": "bash", "argv": ["-c"]}. */
static void exec_rule(struct parser *ps) {
    struct cg_policy *p = ps->p;
    if (p->nexec >= CG_MAX_RULES) { fail(ps, "deny_exec: more than %d rules", CG_MAX_RULES); return; }
    struct cg_exec_rule *r = &p->exec[p->nexec];
    memset(r, 0, sizeof *r);
    if (peek(ps) == '"') {
        const char *s = string(ps);
        if (!s) return;
        /* Split on spaces inside the arena copy: words are patterns. */
        char *w = (char *)s;
        while (*w == ' ') w++;
        r->exe = w;
        while (*w && *w != ' ') w++;
        while (*w) {
            *w++ = 0;
            while (*w == ' ') w++;
            if (!*w) break;
            if (r->nargv >= CG_MAX_ARGV_PATTERNS) { fail(ps, "deny_exec: \"%s\" has more than %d argument patterns", r->exe, CG_MAX_ARGV_PATTERNS); return; }
            r->argv[r->nargv++] = w;
            while (*w && *w != ' ') w++;
        }
    } else {
        int first = 1;
        unsigned seen = 0;
        char k[CG_MAX_STRING + 8];
        while (object_next(ps, &first, k)) {
            if (strcmp(k, "exe") == 0) { if (once(ps, &seen, 1, k)) r->exe = string(ps); }
            else if (strcmp(k, "argv") == 0) {
                if (!once(ps, &seen, 2, k)) return;
                int f = 1;
                while (array_next(ps, &f)) {
                    if (r->nargv >= CG_MAX_ARGV_PATTERNS) { fail(ps, "deny_exec: more than %d argument patterns", CG_MAX_ARGV_PATTERNS); return; }
                    r->argv[r->nargv++] = string(ps);
                }
            } else { fail(ps, "deny_exec: unknown key \"%s\" (want exe, argv)", k); return; }
        }
    }
    if (ps->failed) return;
    if (!r->exe || !*r->exe) { fail(ps, "deny_exec[%d]: no exe", p->nexec); return; }
    p->nexec++;
}

/* "a.b.c.d", "v6::addr", each optionally "/prefix" with 1 to 3 digits. */
static int parse_addr(const char *text, struct cg_net_rule *r) {
    char buf[64];
    if (strlen(text) >= sizeof buf) return 0;
    snprintf(buf, sizeof buf, "%s", text);
    char *slash = strchr(buf, '/');
    int prefix = -1;
    if (slash) {
        *slash = 0;
        const char *d = slash + 1;
        size_t nd = strlen(d);
        if (nd < 1 || nd > 3 || strspn(d, "0123456789") != nd) return 0;
        prefix = atoi(d);
    }
    if (inet_pton(AF_INET, buf, r->addr) == 1) {
        r->family = AF_INET;
        if (prefix < 0) prefix = 32;
        if (prefix > 32) return 0;
    } else if (inet_pton(AF_INET6, buf, r->addr) == 1) {
        r->family = AF_INET6;
        if (prefix < 0) prefix = 128;
        if (prefix > 128) return 0;
    } else return 0;
    r->prefix = prefix;
    return 1;
}

static void net_rule(struct parser *ps) {
    struct cg_policy *p = ps->p;
    if (p->nnet >= CG_MAX_RULES) { fail(ps, "deny_connect: more than %d rules", CG_MAX_RULES); return; }
    struct cg_net_rule *r = &p->net[p->nnet];
    memset(r, 0, sizeof *r);
    r->prefix = -1;
    int first = 1, any = 0;
    unsigned seen = 0;
    char k[CG_MAX_STRING + 8];
    while (object_next(ps, &first, k)) {
        if (strcmp(k, "cidr") == 0 || strcmp(k, "address") == 0) {
            /* Two names for one thing: giving both is a mistake, not a second rule. */
            if (!once(ps, &seen, 1, "cidr/address")) return;
            const char *a = string(ps);
            if (!a) return;
            if (!parse_addr(a, r)) { fail(ps, "deny_connect[%d]: \"%s\" is not an IPv4/IPv6 address or CIDR", p->nnet, a); return; }
            r->text = a;
            any = 1;
        } else if (strcmp(k, "port") == 0) {
            if (!once(ps, &seen, 2, k)) return;
            long v = integer(ps);
            if (ps->failed) return;
            if (v < 1 || v > 65535) { fail(ps, "deny_connect[%d]: port %ld is not 1-65535", p->nnet, v); return; }
            r->port = (int)v;
            any = 1;
        } else { fail(ps, "deny_connect: unknown key \"%s\" (want cidr, address, port)", k); return; }
    }
    if (ps->failed) return;
    if (!any) { fail(ps, "deny_connect[%d]: needs a cidr/address or a port", p->nnet); return; }
    p->nnet++;
}

enum { K_VERSION = 1, K_LOG = 2, K_QUIET = 4, K_EXEC = 8, K_READ = 16, K_WRITE = 32, K_CONNECT = 64, K_ENABLED = 128, K_LOG_FILE = 256 };

void cg_policy_parse(struct cg_policy *p, const char *text, size_t len, cg_home_fn home) {
    struct parser ps = { text, text, text + len, p, home, 0 };
    int first = 1, version = 0, enabled = 1;
    unsigned seen = 0;
    char k[CG_MAX_STRING + 8];
    while (object_next(&ps, &first, k)) {
        int f = 1;
        if (strcmp(k, "version") == 0) { if (once(&ps, &seen, K_VERSION, k)) version = (int)integer(&ps); }
        else if (strcmp(k, "log") == 0 || strcmp(k, "log_file") == 0) {
            /* log_file is seed 000's name for log. */
            unsigned bit = k[3] ? K_LOG_FILE : K_LOG;
            if (!once(&ps, &seen, bit, k)) break;
            if ((seen & K_LOG) && (seen & K_LOG_FILE)) { fail(&ps, "both \"log\" and \"log_file\" given (log_file is the older name of log)"); break; }
            p->log = string(&ps);
            if (p->log && p->log[0] != '/') fail(&ps, "\"%s\" must be an absolute path", k);
        }
        else if (strcmp(k, "quiet") == 0) { if (once(&ps, &seen, K_QUIET, k)) p->quiet = boolean(&ps); }
        else if (strcmp(k, "enabled") == 0) { if (once(&ps, &seen, K_ENABLED, k)) enabled = boolean(&ps); }
        else if (strcmp(k, "deny_exec") == 0) { if (once(&ps, &seen, K_EXEC, k)) while (array_next(&ps, &f)) exec_rule(&ps); }
        else if (strcmp(k, "deny_paths_read") == 0) { if (once(&ps, &seen, K_READ, k)) while (array_next(&ps, &f)) path_rule(&ps, p->read, &p->nread, k); }
        else if (strcmp(k, "deny_paths_write") == 0) { if (once(&ps, &seen, K_WRITE, k)) while (array_next(&ps, &f)) path_rule(&ps, p->write, &p->nwrite, k); }
        else if (strcmp(k, "deny_connect") == 0) { if (once(&ps, &seen, K_CONNECT, k)) while (array_next(&ps, &f)) net_rule(&ps); }
        else fail(&ps, "unknown key \"%s\"", k);
    }
    if (!ps.failed && peek(&ps) != -1) fail(&ps, "trailing data after the policy object");
    /* Seed 000's format has no version; its keys (enabled, log_file) mark it. */
    if (!ps.failed && (seen & K_VERSION ? version != 1 : !(seen & (K_ENABLED | K_LOG_FILE)))) fail(&ps, "\"version\" must be 1");
    p->state = ps.failed ? CG_INVALID : CG_OK;
    p->legacy = !(seen & K_VERSION);
    /* "enabled": false (seed 000) turns the guard off: no rule applies. */
    p->disabled = !enabled;
    if (p->state == CG_OK && p->disabled) p->nexec = p->nread = p->nwrite = p->nnet = 0;
}

static int prefix_of(const char *dir, size_t n, const char *path) {
    if (n == 1 && dir[0] == '/') return 1;
    return strncmp(dir, path, n) == 0 && (path[n] == 0 || path[n] == '/');
}

/* Returns the index of the first rule matching path, or -1. */
int cg_match_path(const struct cg_path_rule *rules, int n, const char *path) {
    for (int i = 0; i < n; i++) {
        const struct cg_path_rule *r = &rules[i];
        if (r->glob) {
            /* Every open passes here: most paths fail on the literal part, before fnmatch. */
            if (strncmp(r->pattern, path, r->literal) != 0) continue;
            if (fnmatch(r->pattern, path, 0) == 0) return i;
            if (r->dir) {
                /* "dir*"/ as a directory glob: anything beneath a matching directory. */
                char buf[PATH_MAX];
                snprintf(buf, sizeof buf, "%s/*", r->pattern);
                if (fnmatch(buf, path, 0) == 0) return i;
            }
        } else if (prefix_of(r->pattern, r->len, path)) return i;
    }
    return -1;
}

static const char *base(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int exe_matches(const char *pattern, const char *path) {
    if (!path) return 0;
    if (strchr(pattern, '/')) return fnmatch(pattern, path, 0) == 0;
    return fnmatch(pattern, base(path), 0) == 0;
}

int cg_match_exec(const struct cg_policy *p, const char *given, const char *resolved, char *const argv[]) {
    for (int i = 0; i < p->nexec; i++) {
        const struct cg_exec_rule *r = &p->exec[i];
        if (!exe_matches(r->exe, given) && !exe_matches(r->exe, resolved)) continue;
        int all = 1;
        for (int j = 0; j < r->nargv && all; j++) {
            int found = 0;
            for (int a = 1; argv && argv[a] && !found; a++) found = fnmatch(r->argv[j], argv[a], 0) == 0;
            all = found;
        }
        if (all) return i;
    }
    return -1;
}

static int in_prefix(const unsigned char *a, const unsigned char *net, int prefix) {
    int bytes = prefix / 8, bits = prefix % 8;
    if (memcmp(a, net, (size_t)bytes) != 0) return 0;
    if (!bits) return 1;
    unsigned char mask = (unsigned char)(0xFF << (8 - bits));
    return (a[bytes] & mask) == (net[bytes] & mask);
}

int cg_match_net(const struct cg_policy *p, const struct sockaddr *sa, socklen_t len, char *addr_out, size_t addr_sz, int *port_out) {
    unsigned char a[16];
    int family, port;
    if (!sa) return -1;
    if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        memcpy(a, &in->sin_addr, 4);
        family = AF_INET;
        port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        port = ntohs(in6->sin6_port);
        static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF };
        if (memcmp(in6->sin6_addr.s6_addr, mapped, 12) == 0) {
            /* ::ffff:a.b.c.d is an IPv4 connect in disguise; judge it as one. */
            memcpy(a, in6->sin6_addr.s6_addr + 12, 4);
            family = AF_INET;
        } else {
            memcpy(a, in6->sin6_addr.s6_addr, 16);
            family = AF_INET6;
        }
    } else return -1;
    inet_ntop(family, a, addr_out, (socklen_t)addr_sz);
    *port_out = port;
    for (int i = 0; i < p->nnet; i++) {
        const struct cg_net_rule *r = &p->net[i];
        if (r->port && r->port != port) continue;
        if (r->prefix >= 0 && (r->family != family || !in_prefix(a, r->addr, r->prefix))) continue;
        return i;
    }
    return -1;
}
