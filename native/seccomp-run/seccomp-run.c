/*
 * seccomp-run FILTER -- CMD [ARGS...]
 * Applies a compiled seccomp-BPF filter (clawav seccomp compile) to itself and execs CMD, which
 * then runs under it for good: no_new_privs is set first, so neither CMD nor its children can
 * shed the filter through a setuid program.
 * Exit codes of its own: 125 bad usage or unreadable filter, 126 the kernel refused the filter,
 * 127 CMD could not be executed. Anything else is CMD's own status.
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

static int fail(int code, const char *what, const char *detail) {
    fprintf(stderr, "seccomp-run: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return code;
}

int main(int argc, char **argv) {
    if (argc < 4 || strcmp(argv[2], "--") != 0)
        return fail(125, "usage: seccomp-run FILTER -- CMD [ARGS...]", NULL);
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
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return fail(126, "the kernel refused the filter", strerror(errno));
    execvp(argv[3], &argv[3]);
    return fail(127, "cannot execute the command", strerror(errno));
}
