/*
 * libclawguard.so — hooks for exec, open and connect in the agent's processes.
 *
 * Decisions:
 * - The policy comes from /etc/clawav/preload-policy.json, or from $CLAWAV_PRELOAD_POLICY when
 *   that file is a regular file owned by root and writable by nobody else (checked with fstat on
 *   the opened descriptor, so it cannot be swapped between check and read).
 * - No usable policy (missing, unreadable, malformed) fails closed: every exec, every open for
 *   writing and every IP connect is refused, and reads stay allowed so the program can still
 *   report what happened. An agent that could make its guard's policy unreadable must not get
 *   an unguarded run out of it.
 * - Exec hooks put LD_PRELOAD back into a child's environment when the caller dropped it, so
 *   `env -u LD_PRELOAD cmd` does not shed the guard. Only a raw syscall or a static binary does;
 *   the daemon flags those (README "Honest limits").
 * - A thread-local flag lets the guard's own libc calls through unjudged (no recursion).
 */
#define _GNU_SOURCE
#include "guard.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DEFAULT_POLICY "/etc/clawav/preload-policy.json"
#define POLICY_ENV "CLAWAV_PRELOAD_POLICY"
#define MAX_POLICY_BYTES (1 << 20)
#define ENV_SLOTS 1024
#define HOOK __attribute__((visibility("default")))
#define MAX_ARGS 4096

extern char **environ;

static struct cg_policy policy;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static __thread int busy;
static char preload_entry[PATH_MAX + 16];   /* "LD_PRELOAD=/abs/libclawguard.so" */
static const char *self_path = "";
static char policy_entry[PATH_MAX + 32];    /* "CLAWAV_PRELOAD_POLICY=..." when the policy came from there */
/* Inodes of literal deny paths: a hard link elsewhere still names the same file. */
static struct { dev_t dev; ino_t ino; int write; int index; } inodes[CG_MAX_RULES * 2];
static int ninodes;

#define REAL(ret, name, args) static ret(*real_##name) args
REAL(int, execve, (const char *, char *const[], char *const[]));
REAL(int, execvpe, (const char *, char *const[], char *const[]));
REAL(int, execveat, (int, const char *, char *const[], char *const[], int));
REAL(int, fexecve, (int, char *const[], char *const[]));
REAL(int, posix_spawn, (pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *, char *const[], char *const[]));
REAL(int, posix_spawnp, (pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *, char *const[], char *const[]));
REAL(int, system, (const char *));
REAL(FILE *, popen, (const char *, const char *));
REAL(int, open, (const char *, int, ...));
REAL(int, open64, (const char *, int, ...));
REAL(int, openat, (int, const char *, int, ...));
REAL(int, openat64, (int, const char *, int, ...));
REAL(int, __open_2, (const char *, int));
REAL(int, __open64_2, (const char *, int));
REAL(int, __openat_2, (int, const char *, int));
REAL(int, __openat64_2, (int, const char *, int));
REAL(FILE *, fopen, (const char *, const char *));
REAL(FILE *, fopen64, (const char *, const char *));
REAL(int, creat, (const char *, mode_t));
REAL(int, creat64, (const char *, mode_t));
REAL(int, connect, (int, const struct sockaddr *, socklen_t));

#define RESOLVE(name) do { if (!real_##name) *(void **)&real_##name = dlsym(RTLD_NEXT, #name); } while (0)

static void resolve_reals(void) {
    RESOLVE(execve); RESOLVE(execvpe); RESOLVE(execveat); RESOLVE(fexecve);
    RESOLVE(posix_spawn); RESOLVE(posix_spawnp); RESOLVE(system); RESOLVE(popen);
    RESOLVE(open); RESOLVE(open64); RESOLVE(openat); RESOLVE(openat64);
    RESOLVE(__open_2); RESOLVE(__open64_2); RESOLVE(__openat_2); RESOLVE(__openat64_2);
    RESOLVE(fopen); RESOLVE(fopen64); RESOLVE(creat); RESOLVE(creat64); RESOLVE(connect);
}

/* Reads a policy file if it is a root-owned regular file nobody else can write; else says why. */
static int read_policy(const char *path, char *buf, size_t cap, size_t *len, char *why, size_t whysz) {
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) { snprintf(why, whysz, "%s: %s", path, strerror(errno)); return -1; }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) { snprintf(why, whysz, "%s: not a regular file", path); close(fd); return -1; }
    if (st.st_uid != 0 || (st.st_mode & 022)) {
        snprintf(why, whysz, "%s: must be owned by root and writable by nobody else (owner uid %u, mode %03o)", path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
        close(fd);
        return -1;
    }
    size_t n = 0;
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += (size_t)r;
    }
    close(fd);
    if (n >= cap) { snprintf(why, whysz, "%s: larger than %zu bytes", path, cap - 1); return -1; }
    *len = n;
    return 0;
}

static void note_inodes(const struct cg_path_rule *rules, int n, int write) {
    for (int i = 0; i < n && ninodes < (int)(sizeof inodes / sizeof inodes[0]); i++) {
        struct stat st;
        if (rules[i].glob || rules[i].dir || stat(rules[i].pattern, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        inodes[ninodes].dev = st.st_dev;
        inodes[ninodes].ino = st.st_ino;
        inodes[ninodes].write = write;
        inodes[ninodes].index = i;
        ninodes++;
    }
}

static void init(void) {
    busy = 1;
    resolve_reals();
    Dl_info info;
    static char selfbuf[PATH_MAX];
    if (dladdr((void *)&init, &info) && info.dli_fname) {
        if (!realpath(info.dli_fname, selfbuf)) snprintf(selfbuf, sizeof selfbuf, "%s", info.dli_fname);
        self_path = selfbuf;
    }
    snprintf(preload_entry, sizeof preload_entry, "LD_PRELOAD=%s", self_path);

    static char text[MAX_POLICY_BYTES];
    size_t len = 0;
    char why[PATH_MAX + 128] = "", rejected[PATH_MAX + 128] = "";
    const char *env = getenv(POLICY_ENV);
    int loaded = -1;
    if (env && *env) {
        loaded = read_policy(env, text, sizeof text, &len, rejected, sizeof rejected);
        if (loaded == 0) {
            snprintf(policy.source, sizeof policy.source, "%s", env);
            snprintf(policy_entry, sizeof policy_entry, "%s=%s", POLICY_ENV, env);
        }
    }
    if (loaded != 0) {
        loaded = read_policy(DEFAULT_POLICY, text, sizeof text, &len, why, sizeof why);
        snprintf(policy.source, sizeof policy.source, "%s", DEFAULT_POLICY);
    }
    if (loaded == 0) {
        const char *home = NULL;
        char pwbuf[4096];
        struct passwd pw, *found = NULL;
        /* The owner's home from the password database: $HOME is the agent's to change. */
        if (memmem(text, len, "\"~", 2) && getpwuid_r(getuid(), &pw, pwbuf, sizeof pwbuf, &found) == 0 && found) home = found->pw_dir;
        cg_policy_parse(&policy, text, len, home);
    } else {
        policy.state = CG_INVALID;
        snprintf(policy.error, sizeof policy.error, "no usable policy: %s", why);
    }
    if (rejected[0]) cg_log_notice(&policy, "policy_rejected", rejected);
    if (policy.state == CG_INVALID) cg_log_notice(&policy, "policy_invalid", policy.error);
    else {
        note_inodes(policy.read, policy.nread, 0);
        note_inodes(policy.write, policy.nwrite, 1);
    }
    busy = 0;
}

__attribute__((constructor)) static void clawguard_ctor(void) { pthread_once(&once, init); }

static inline int ready(void) {
    if (busy) return 0;
    pthread_once(&once, init);
    return 1;
}

static void deny_log(const char *call, const char *op, const char *path, const char *resolved, char *const *argv, const char *rule, int index) {
    struct cg_denial d = { call, op, path, resolved, argv, NULL, 0, rule, index };
    cg_log_denial(&policy, &d);
}

/* 0 to allow; -1 with errno EACCES (and a log line) to deny. */
static int judge_open(const char *call, int dirfd, const char *path, int flags) {
    if (!path || !ready()) return 0;
    int acc = flags & O_ACCMODE;
    int rd = !(flags & O_PATH) && (acc == O_RDONLY || acc == O_RDWR);
    int wr = !(flags & O_PATH) && (acc == O_WRONLY || acc == O_RDWR || (flags & (O_CREAT | O_TRUNC)));
    int invalid = policy.state == CG_INVALID;
    if (!(wr && (invalid || policy.nwrite)) && !(rd && policy.nread)) return 0;
    busy = 1;
    int verdict = 0;
    char abs[PATH_MAX], lex[PATH_MAX], res[PATH_MAX];
    if (cg_absolute(dirfd, path, abs, sizeof abs) != 0) {
        /* A path we cannot place (cwd deleted, dirfd gone, too long) is not let through unjudged. */
        deny_log(call, wr ? "write" : "read", path, NULL, NULL, "unresolvable_path", -1);
        verdict = -1;
        goto out;
    }
    memcpy(lex, abs, sizeof abs);
    cg_normalize(lex);
    if (cg_resolve(abs, res) != 0) memcpy(res, lex, sizeof lex);
    if (invalid && wr) {
        deny_log(call, "write", path, res, NULL, "policy_invalid", -1);
        verdict = -1;
        goto out;
    }
    int i;
    if (rd && ((i = cg_match_path(policy.read, policy.nread, lex)) >= 0 || (i = cg_match_path(policy.read, policy.nread, res)) >= 0)) {
        deny_log(call, "read", path, res, NULL, "deny_paths_read", i);
        verdict = -1;
        goto out;
    }
    if (wr && ((i = cg_match_path(policy.write, policy.nwrite, lex)) >= 0 || (i = cg_match_path(policy.write, policy.nwrite, res)) >= 0)) {
        deny_log(call, "write", path, res, NULL, "deny_paths_write", i);
        verdict = -1;
        goto out;
    }
    if (ninodes) {
        struct stat st;
        if (stat(res, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink > 1) {
            for (int k = 0; k < ninodes; k++) {
                if (inodes[k].dev != st.st_dev || inodes[k].ino != st.st_ino || (inodes[k].write ? !wr : !rd)) continue;
                deny_log(call, inodes[k].write ? "write" : "read", path, res, NULL, inodes[k].write ? "deny_paths_write" : "deny_paths_read", inodes[k].index);
                verdict = -1;
                goto out;
            }
        }
    }
out:
    busy = 0;
    if (verdict) errno = EACCES;
    return verdict;
}

static int fopen_flags(const char *mode) {
    if (!mode) return O_RDONLY;
    int plus = strchr(mode, '+') != NULL;
    switch (mode[0]) {
    case 'r': return plus ? O_RDWR : O_RDONLY;
    case 'w': return (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_TRUNC;
    case 'a': return (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_APPEND;
    default: return O_RDONLY;
    }
}

/*
 * Judges an exec. `given` is the path as the caller named it (NULL for fexecve), `dirfd` what it
 * is relative to, `search` whether a bare name goes through PATH like execvp, `fd` an fd to
 * exec (fexecve / AT_EMPTY_PATH) or -1.
 */
static int judge_exec(const char *call, int dirfd, const char *given, int search, int fd, char *const argv[]) {
    if (!ready()) return 0;
    if (!policy.nexec && policy.state != CG_INVALID) return 0;
    busy = 1;
    int verdict = 0;
    char found[PATH_MAX], abs[PATH_MAX], res[PATH_MAX];
    const char *name = given;
    if (fd >= 0) {
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, abs, sizeof abs - 1);
        abs[n > 0 ? n : 0] = 0;
        name = abs;
    } else if (search && given && !strchr(given, '/')) {
        if (cg_search_path(given, found, sizeof found) != 0) goto out; /* libc will fail with ENOENT */
        name = found;
    }
    if (fd < 0 && (!name || cg_absolute(dirfd, name, abs, sizeof abs) != 0)) {
        deny_log(call, "exec", given, NULL, argv, "unresolvable_path", -1);
        verdict = -1;
        goto out;
    }
    cg_normalize(abs);
    if (!realpath(abs, res)) {
        /* Nothing there: the kernel fails it with ENOENT (shells probe every PATH entry). */
        if (errno == ENOENT || errno == ENOTDIR) goto out;
        memcpy(res, abs, sizeof abs);
    }
    if (policy.state == CG_INVALID) {
        deny_log(call, "exec", abs, res, argv, "policy_invalid", -1);
        verdict = -1;
        goto out;
    }
    int i = cg_match_exec(&policy, abs, res, argv);
    if (i >= 0) {
        deny_log(call, "exec", abs, res, argv, "deny_exec", i);
        verdict = -1;
    }
out:
    busy = 0;
    if (verdict) errno = EACCES;
    return verdict;
}

/*
 * The environment a child gets: the caller's, with LD_PRELOAD (and the policy path it was given)
 * put back if missing. Uses the caller's slots; no allocation unless the environment is huge.
 */
struct envbuf {
    char *slots[ENV_SLOTS];
    char **heap;
    char ld[PATH_MAX * 2];
};

static char *const *guarded_env(char *const *envp, struct envbuf *b) {
    b->heap = NULL;
    if (!self_path[0]) return envp;
    int n = 0, ld = -1, pol = -1;
    for (; envp && envp[n]; n++) {
        if (strncmp(envp[n], "LD_PRELOAD=", 11) == 0) ld = n;
        else if (strncmp(envp[n], POLICY_ENV "=", sizeof POLICY_ENV) == 0) pol = n;
    }
    int ld_ok = ld >= 0 && strstr(envp[ld] + 11, self_path) != NULL;
    int pol_ok = !policy_entry[0] || (pol >= 0 && strcmp(envp[pol], policy_entry) == 0);
    if (ld_ok && pol_ok) return envp;
    char **out = b->slots;
    if (n + 3 > ENV_SLOTS) {
        out = malloc(sizeof(char *) * (size_t)(n + 3));
        if (!out) return envp;
        b->heap = out;
    }
    int k = 0;
    for (int i = 0; i < n; i++) if (i != ld && i != pol) out[k++] = envp[i];
    if (ld >= 0 && !ld_ok && envp[ld][11]) snprintf(b->ld, sizeof b->ld, "%s:%s", preload_entry, envp[ld] + 11);
    else snprintf(b->ld, sizeof b->ld, "%s", preload_entry);
    out[k++] = b->ld;
    if (policy_entry[0]) out[k++] = policy_entry;
    else if (pol >= 0) out[k++] = envp[pol];
    out[k] = NULL;
    return out;
}

static int exec_env(const char *path, char *const argv[], char *const envp[]) {
    RESOLVE(execve);
    struct envbuf b;
    int r = real_execve(path, argv, (char *const *)guarded_env(envp, &b));
    int saved = errno;
    free(b.heap);
    errno = saved;
    return r;
}

static int execvpe_env(const char *file, char *const argv[], char *const envp[]) {
    RESOLVE(execvpe);
    struct envbuf b;
    int r = real_execvpe(file, argv, (char *const *)guarded_env(envp, &b));
    int saved = errno;
    free(b.heap);
    errno = saved;
    return r;
}

HOOK int execve(const char *path, char *const argv[], char *const envp[]) {
    if (judge_exec("execve", AT_FDCWD, path, 0, -1, argv)) return -1;
    return exec_env(path, argv, envp);
}

HOOK int execv(const char *path, char *const argv[]) {
    if (judge_exec("execv", AT_FDCWD, path, 0, -1, argv)) return -1;
    return exec_env(path, argv, environ);
}

HOOK int execvp(const char *file, char *const argv[]) {
    if (judge_exec("execvp", AT_FDCWD, file, 1, -1, argv)) return -1;
    return execvpe_env(file, argv, environ);
}

HOOK int execvpe(const char *file, char *const argv[], char *const envp[]) {
    if (judge_exec("execvpe", AT_FDCWD, file, 1, -1, argv)) return -1;
    return execvpe_env(file, argv, envp);
}

HOOK int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags) {
    int empty = (flags & AT_EMPTY_PATH) && !*path;
    if (judge_exec("execveat", dirfd, path, 0, empty ? dirfd : -1, argv)) return -1;
    RESOLVE(execveat);
    struct envbuf b;
    int r = real_execveat(dirfd, path, argv, (char *const *)guarded_env(envp, &b), flags);
    int saved = errno;
    free(b.heap);
    errno = saved;
    return r;
}

HOOK int fexecve(int fd, char *const argv[], char *const envp[]) {
    if (judge_exec("fexecve", AT_FDCWD, NULL, 0, fd, argv)) return -1;
    RESOLVE(fexecve);
    struct envbuf b;
    int r = real_fexecve(fd, argv, (char *const *)guarded_env(envp, &b));
    int saved = errno;
    free(b.heap);
    errno = saved;
    return r;
}

/* execl and friends: glibc builds them on its internal execve, which no preload sees. */
#define COLLECT_ARGS(first, last_arg, argv_out, extra)                     \
    char *argv_out[MAX_ARGS];                                              \
    int argc_ = 0;                                                         \
    argv_out[argc_++] = (char *)(first);                                   \
    va_list ap_;                                                           \
    va_start(ap_, last_arg);                                               \
    while (argv_out[argc_ - 1] != NULL) {                                  \
        if (argc_ >= MAX_ARGS) { va_end(ap_); errno = E2BIG; return -1; }  \
        argv_out[argc_++] = va_arg(ap_, char *);                           \
    }                                                                      \
    extra;                                                                 \
    va_end(ap_)

HOOK int execl(const char *path, const char *arg, ...) {
    COLLECT_ARGS(arg, arg, argv, (void)0);
    return execv(path, argv);
}

HOOK int execlp(const char *file, const char *arg, ...) {
    COLLECT_ARGS(arg, arg, argv, (void)0);
    return execvp(file, argv);
}

HOOK int execle(const char *path, const char *arg, ...) {
    char **envp;
    COLLECT_ARGS(arg, arg, argv, envp = va_arg(ap_, char **));
    return execve(path, argv, envp);
}

HOOK int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
    if (judge_exec("posix_spawn", AT_FDCWD, path, 0, -1, argv)) return EACCES;
    RESOLVE(posix_spawn);
    struct envbuf b;
    int r = real_posix_spawn(pid, path, fa, attr, argv, (char *const *)guarded_env(envp, &b));
    free(b.heap);
    return r;
}

HOOK int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
    if (judge_exec("posix_spawnp", AT_FDCWD, file, 1, -1, argv)) return EACCES;
    RESOLVE(posix_spawnp);
    struct envbuf b;
    int r = real_posix_spawnp(pid, file, fa, attr, argv, (char *const *)guarded_env(envp, &b));
    free(b.heap);
    return r;
}

/* system() and popen() run /bin/sh -c CMD; the shell is guarded in turn, and the string is judged here as that argv. */
HOOK int system(const char *cmd) {
    if (cmd) {
        char *argv[] = { "sh", "-c", (char *)cmd, NULL };
        if (judge_exec("system", AT_FDCWD, "/bin/sh", 0, -1, argv)) return -1;
    }
    RESOLVE(system);
    return real_system(cmd);
}

HOOK FILE *popen(const char *cmd, const char *type) {
    char *argv[] = { "sh", "-c", (char *)cmd, NULL };
    if (cmd && judge_exec("popen", AT_FDCWD, "/bin/sh", 0, -1, argv)) return NULL;
    RESOLVE(popen);
    return real_popen(cmd, type);
}

static mode_t mode_arg(int flags, va_list ap) {
    return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

HOOK int open(const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    if (judge_open("open", AT_FDCWD, path, flags)) return -1;
    RESOLVE(open);
    return real_open(path, flags, mode);
}

HOOK int open64(const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    if (judge_open("open64", AT_FDCWD, path, flags)) return -1;
    RESOLVE(open64);
    return real_open64(path, flags, mode);
}

HOOK int openat(int dirfd, const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    if (judge_open("openat", dirfd, path, flags)) return -1;
    RESOLVE(openat);
    return real_openat(dirfd, path, flags, mode);
}

HOOK int openat64(int dirfd, const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    if (judge_open("openat64", dirfd, path, flags)) return -1;
    RESOLVE(openat64);
    return real_openat64(dirfd, path, flags, mode);
}

/* The _FORTIFY_SOURCE entry points programs compiled with it call instead of open/openat. */
HOOK int __open_2(const char *path, int flags) {
    if (judge_open("open", AT_FDCWD, path, flags)) return -1;
    RESOLVE(__open_2);
    return real___open_2(path, flags);
}

HOOK int __open64_2(const char *path, int flags) {
    if (judge_open("open64", AT_FDCWD, path, flags)) return -1;
    RESOLVE(__open64_2);
    return real___open64_2(path, flags);
}

HOOK int __openat_2(int dirfd, const char *path, int flags) {
    if (judge_open("openat", dirfd, path, flags)) return -1;
    RESOLVE(__openat_2);
    return real___openat_2(dirfd, path, flags);
}

HOOK int __openat64_2(int dirfd, const char *path, int flags) {
    if (judge_open("openat64", dirfd, path, flags)) return -1;
    RESOLVE(__openat64_2);
    return real___openat64_2(dirfd, path, flags);
}

HOOK FILE *fopen(const char *path, const char *mode) {
    if (judge_open("fopen", AT_FDCWD, path, fopen_flags(mode))) return NULL;
    RESOLVE(fopen);
    return real_fopen(path, mode);
}

HOOK FILE *fopen64(const char *path, const char *mode) {
    if (judge_open("fopen64", AT_FDCWD, path, fopen_flags(mode))) return NULL;
    RESOLVE(fopen64);
    return real_fopen64(path, mode);
}

HOOK int creat(const char *path, mode_t mode) {
    if (judge_open("creat", AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC)) return -1;
    RESOLVE(creat);
    return real_creat(path, mode);
}

HOOK int creat64(const char *path, mode_t mode) {
    if (judge_open("creat64", AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC)) return -1;
    RESOLVE(creat64);
    return real_creat64(path, mode);
}

HOOK int connect(int fd, const struct sockaddr *addr, socklen_t len) {
    RESOLVE(connect);
    if (!ready() || !addr || (addr->sa_family != AF_INET && addr->sa_family != AF_INET6)) return real_connect(fd, addr, len);
    if (!policy.nnet && policy.state != CG_INVALID) return real_connect(fd, addr, len);
    busy = 1;
    char text[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    int i = cg_match_net(&policy, addr, len, text, sizeof text, &port);
    int deny = policy.state == CG_INVALID || i >= 0;
    if (deny) {
        struct cg_denial d = { "connect", "connect", NULL, NULL, NULL, text, port, policy.state == CG_INVALID ? "policy_invalid" : "deny_connect", i };
        cg_log_denial(&policy, &d);
    }
    busy = 0;
    if (deny) {
        errno = EACCES;
        return -1;
    }
    return real_connect(fd, addr, len);
}
