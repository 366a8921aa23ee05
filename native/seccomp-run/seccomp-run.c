/*
 * seccomp-run FILTER [--connect-tcp PORT]... [--bind-tcp PORT]... -- CMD [ARGS...]
 * Applies a compiled seccomp-BPF filter (clawav seccomp compile) to itself and execs CMD, which
 * then runs under it for good: no_new_privs is set first, so neither CMD nor its children can
 * shed the filter through a setuid program.
 * Port options restrict TCP connect/bind to the listed ports with Landlock network rules (ABI >= 4,
 * Linux >= 6.7): seccomp cannot see a port, which is behind a pointer. Without Landlock it refuses
 * to run rather than run unrestricted.
 * Exit codes of its own: 125 bad usage or unreadable filter, 126 the kernel refused the filter or
 * the Landlock rules (or has no Landlock network support), 127 CMD could not be executed.
 * Anything else is CMD's own status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_INSNS 4096
#define MAX_PORTS 64

/* Landlock's network ABI (Linux 6.7); Debian 12's headers predate it. */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_ACCESS_NET_BIND_TCP (1ULL << 0)
#define LL_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#define LL_RULE_NET_PORT 2
struct ll_ruleset_attr { unsigned long long handled_access_fs, handled_access_net; };
struct ll_net_port_attr { unsigned long long allowed_access, port; } __attribute__((packed));

static int parse_port(const char *s) {
    char *end;
    long v = strtol(s, &end, 10);
    return (*s && !*end && v >= 1 && v <= 65535) ? (int)v : -1;
}

/* Applies Landlock network rules: returns 0, or an error message. */
static const char *apply_landlock(const int *connect, int nconnect, int want_connect, const int *bind, int nbind, int want_bind) {
    static char msg[160];
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
    if (abi < 4) {
        snprintf(msg, sizeof msg, "Landlock network rules need Landlock ABI >= 4 (Linux >= 6.7); this kernel has %s%ld", abi < 0 ? "no Landlock: " : "ABI ", abi < 0 ? (long)errno : abi);
        return msg;
    }
    struct ll_ruleset_attr ra = { 0, (want_connect ? LL_ACCESS_NET_CONNECT_TCP : 0) | (want_bind ? LL_ACCESS_NET_BIND_TCP : 0) };
    int rs = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof ra, 0);
    if (rs < 0) return strerror(errno);
    for (int i = 0; i < nconnect; i++) {
        struct ll_net_port_attr pa = { LL_ACCESS_NET_CONNECT_TCP, (unsigned long long)connect[i] };
        if (syscall(SYS_landlock_add_rule, rs, LL_RULE_NET_PORT, &pa, 0) != 0) return strerror(errno);
    }
    for (int i = 0; i < nbind; i++) {
        struct ll_net_port_attr pa = { LL_ACCESS_NET_BIND_TCP, (unsigned long long)bind[i] };
        if (syscall(SYS_landlock_add_rule, rs, LL_RULE_NET_PORT, &pa, 0) != 0) return strerror(errno);
    }
    if (syscall(SYS_landlock_restrict_self, rs, 0) != 0) return strerror(errno);
    close(rs);
    return NULL;
}

static int fail(int code, const char *what, const char *detail) {
    fprintf(stderr, "seccomp-run: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return code;
}

int main(int argc, char **argv) {
    const char *usage = "usage: seccomp-run FILTER [--connect-tcp PORT]... [--bind-tcp PORT]... -- CMD [ARGS...]";
    int connect[MAX_PORTS], bind[MAX_PORTS], nconnect = 0, nbind = 0, want_connect = 0, want_bind = 0;
    int i = 2;
    for (; i < argc && strcmp(argv[i], "--") != 0; i += 2) {
        int is_connect = strcmp(argv[i], "--connect-tcp") == 0, is_bind = strcmp(argv[i], "--bind-tcp") == 0;
        if ((!is_connect && !is_bind) || i + 1 >= argc) return fail(125, usage, NULL);
        /* "none" restricts the kind of access with no port allowed at all */
        int port = strcmp(argv[i + 1], "none") == 0 ? 0 : parse_port(argv[i + 1]);
        if (port < 0) return fail(125, "not a TCP port", argv[i + 1]);
        if (is_connect) { want_connect = 1; if (port && nconnect < MAX_PORTS) connect[nconnect++] = port; }
        else { want_bind = 1; if (port && nbind < MAX_PORTS) bind[nbind++] = port; }
    }
    if (argc < 3 || i + 1 >= argc) return fail(125, usage, NULL);
    int fd = open(argv[1], O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return fail(125, "cannot open the filter", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) return fail(125, "cannot stat the filter", strerror(errno));
    if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0 || st.st_size > (off_t)(MAX_INSNS * sizeof(struct sock_filter)))
        return fail(125, "the filter is not a seccomp-BPF program (size must be a multiple of 8, at most 4096 instructions)", NULL);
    struct sock_filter *insns = malloc((size_t)st.st_size);
    if (!insns) return fail(125, "out of memory", NULL);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, (char *)insns + got, (size_t)st.st_size - got);
        if (n <= 0) return fail(125, "cannot read the filter", n < 0 ? strerror(errno) : "short read");
        got += (size_t)n;
    }
    close(fd);
    struct sock_fprog prog = { .len = (unsigned short)(got / sizeof(struct sock_filter)), .filter = insns };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail(126, "PR_SET_NO_NEW_PRIVS failed", strerror(errno));
    /* Landlock first: the seccomp filter need not allow the landlock syscalls. */
    if (want_connect || want_bind) {
        const char *err = apply_landlock(connect, nconnect, want_connect, bind, nbind, want_bind);
        if (err) return fail(126, "cannot apply the port rules", err);
    }
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return fail(126, "the kernel refused the filter", strerror(errno));
    execvp(argv[i + 1], &argv[i + 1]);
    return fail(127, "cannot execute the command", strerror(errno));
}
