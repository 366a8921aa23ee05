/*
 * clawguard-check: the guard's own policy parser (policy.c) as a program, so that clawav's
 * TypeScript reader can be held to the same verdict (test/native/preload-parity.test.ts) and an
 * operator can ask the exact parser the agent's processes will run.
 *
 *   clawguard-check [--home DIR] FILE   prints "ok ..." (exit 0) or "invalid: why" (exit 1)
 *   clawguard-check [--home DIR] --batch
 *       reads records from stdin (a 4-byte little-endian length, then that many bytes) and
 *       writes one line per record: "ok" or "invalid: why".
 *
 * Without --home, "~" has no home directory, as for a user the password database does not list.
 */
#define _GNU_SOURCE
#include "guard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *home_dir;
static const char *given_home(void) { return home_dir; }

static struct cg_policy policy;
static char text[MAX_POLICY_BYTES];

/* One line whatever the message holds: control bytes (a decoded "\n" in a quoted value) as \xNN. */
static void put_line(FILE *out, const char *prefix, const char *msg) {
    fputs(prefix, out);
    for (const unsigned char *c = (const unsigned char *)msg; *c; c++) {
        if (*c < 0x20 || *c == 0x7f || *c == '\\') fprintf(out, "\\x%02x", *c);
        else fputc(*c, out);
    }
    fputc('\n', out);
}

static int verdict(size_t len, FILE *out, int summary) {
    memset(&policy, 0, sizeof policy);
    if (len >= MAX_POLICY_BYTES) {
        fprintf(out, "invalid: larger than %d bytes\n", MAX_POLICY_BYTES - 1);
        return 1;
    }
    cg_policy_parse(&policy, text, len, given_home);
    if (policy.state != CG_OK) {
        put_line(out, "invalid: ", policy.error);
        return 1;
    }
    if (summary)
        fprintf(out, "ok legacy=%d disabled=%d exec=%d read=%d write=%d connect=%d\n", policy.legacy, policy.disabled, policy.nexec, policy.nread, policy.nwrite, policy.nnet);
    else
        fputs("ok\n", out);
    return 0;
}

static int read_exact(void *buf, size_t n) {
    return fread(buf, 1, n, stdin) == n;
}

int main(int argc, char **argv) {
    int batch = 0;
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--home") == 0 && i + 1 < argc) home_dir = argv[++i];
        else if (strcmp(argv[i], "--batch") == 0) batch = 1;
        else if (argv[i][0] != '-' && !file) file = argv[i];
        else {
            fprintf(stderr, "usage: clawguard-check [--home DIR] FILE | --batch\n");
            return 64;
        }
    }
    if (batch) {
        unsigned char h[4];
        while (read_exact(h, 4)) {
            size_t len = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16 | (size_t)h[3] << 24;
            size_t keep = len < sizeof text ? len : sizeof text;
            if (!read_exact(text, keep)) return 65;
            for (size_t rest = len - keep; rest > 0; rest--) if (getchar() == EOF) return 65;
            verdict(len, stdout, 0);
            fflush(stdout);
        }
        return 0;
    }
    if (!file) {
        fprintf(stderr, "usage: clawguard-check [--home DIR] FILE | --batch\n");
        return 64;
    }
    FILE *f = fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "clawguard-check: %s: %s\n", file, strerror(errno));
        return 66;
    }
    size_t n = fread(text, 1, sizeof text, f);
    if (n == sizeof text) n = sizeof text + (fgetc(f) != EOF);
    fclose(f);
    return verdict(n, stdout, 1);
}
