/*
 * Paths are judged as the kernel will see them: relative to cwd or a dirfd, with `.`/`..` and
 * symlinks resolved. A file that does not exist yet (O_CREAT) is judged by its resolved parent.
 * No allocation: everything is in caller buffers of PATH_MAX.
 */
#define _GNU_SOURCE
#include "guard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cg_absolute(int dirfd, const char *path, char *out, size_t outsz) {
    if (!path) return -1;
    if (path[0] == '/') {
        if (strlen(path) >= outsz) return -1;
        strcpy(out, path);
        return 0;
    }
    char base[PATH_MAX];
    if (dirfd == AT_FDCWD) {
        if (!getcwd(base, sizeof base)) return -1;
    } else {
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
        ssize_t n = readlink(link, base, sizeof base - 1);
        if (n <= 0) return -1;
        base[n] = 0;
    }
    int n = snprintf(out, outsz, "%s/%s", strcmp(base, "/") == 0 ? "" : base, path);
    return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

/* Folds //, /./ and /../ in an absolute path, in place. */
void cg_normalize(char *path) {
    char *w = path;
    const char *r = path;
    while (*r) {
        while (*r == '/') r++;
        if (!*r) break;
        const char *seg = r;
        while (*r && *r != '/') r++;
        size_t len = (size_t)(r - seg);
        if (len == 1 && seg[0] == '.') continue;
        if (len == 2 && seg[0] == '.' && seg[1] == '.') {
            while (w > path && *--w != '/') {}
            continue;
        }
        *w++ = '/';
        memmove(w, seg, len);
        w += len;
    }
    if (w == path) *w++ = '/';
    *w = 0;
}

/* realpath of the longest existing prefix, plus the rest normalised lexically. */
int cg_resolve(const char *absolute, char *out) {
    if (realpath(absolute, out)) return 0;
    if (errno != ENOENT && errno != ENOTDIR && errno != EACCES) return -1;
    char head[PATH_MAX];
    size_t len = strlen(absolute);
    if (len >= sizeof head) return -1;
    memcpy(head, absolute, len + 1);
    for (;;) {
        char *slash = strrchr(head, '/');
        if (!slash) return -1;
        const char *rest = absolute + (slash - head);
        if (slash == head) {
            snprintf(out, PATH_MAX, "%s", rest);
            cg_normalize(out);
            return 0;
        }
        *slash = 0;
        char parent[PATH_MAX];
        if (realpath(head, parent)) {
            int n = snprintf(out, PATH_MAX, "%s%s", strcmp(parent, "/") == 0 ? "" : parent, rest);
            if (n < 0 || n >= PATH_MAX) return -1;
            cg_normalize(out);
            return 0;
        }
    }
}

/* What execvp would run: the first executable regular file named `file` on PATH. */
int cg_search_path(const char *file, char *out, size_t outsz) {
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/bin:/usr/bin";
    const char *p = path;
    for (;;) {
        const char *colon = strchr(p, ':');
        size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
        int n = dlen == 0 ? snprintf(out, outsz, "%s", file) : snprintf(out, outsz, "%.*s/%s", (int)dlen, p, file);
        if (n > 0 && (size_t)n < outsz) {
            struct stat st;
            if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0) return 0;
        }
        if (!colon) return -1;
        p = colon + 1;
    }
}
