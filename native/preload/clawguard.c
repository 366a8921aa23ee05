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
#include <sys/auxv.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DEFAULT_POLICY "/etc/clawav/preload-policy.json"
#define POLICY_ENV "CLAWAV_PRELOAD_POLICY"
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
static unsigned long long hash_seed;         /* keys the fast path's directory cache */
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
REAL(int, chdir, (const char *));
REAL(int, fchdir, (int));
REAL(int, link, (const char *, const char *));
REAL(int, linkat, (int, const char *, int, const char *, int));
REAL(int, rename, (const char *, const char *));
REAL(int, renameat, (int, const char *, int, const char *));
REAL(int, renameat2, (int, const char *, int, const char *, unsigned int));
REAL(int, unlink, (const char *));
REAL(int, unlinkat, (int, const char *, int));

#define RESOLVE(name) do { if (!real_##name) *(void **)&real_##name = dlsym(RTLD_NEXT, #name); } while (0)

static void resolve_reals(void) {
    RESOLVE(execve); RESOLVE(execvpe); RESOLVE(execveat); RESOLVE(fexecve);
    RESOLVE(posix_spawn); RESOLVE(posix_spawnp); RESOLVE(system); RESOLVE(popen);
    RESOLVE(open); RESOLVE(open64); RESOLVE(openat); RESOLVE(openat64);
    RESOLVE(__open_2); RESOLVE(__open64_2); RESOLVE(__openat_2); RESOLVE(__openat64_2);
    RESOLVE(fopen); RESOLVE(fopen64); RESOLVE(creat); RESOLVE(creat64); RESOLVE(connect);
    RESOLVE(chdir); RESOLVE(fchdir); RESOLVE(link); RESOLVE(linkat); RESOLVE(rename); RESOLVE(renameat);
    RESOLVE(renameat2); RESOLVE(unlink); RESOLVE(unlinkat);
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

/* The home directory of uid as /etc/passwd lists it: 0, or -1 when the file does not list it. */
static int passwd_home(uid_t uid, char *out, size_t outsz) {
    static char buf[65536];
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t n = 0;
    for (ssize_t r; n < sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0;) n += (size_t)r;
    close(fd);
    buf[n] = 0;
    for (char *line = buf; line && *line; ) {
        char *next = strchr(line, '\n');
        if (next) *next++ = 0;
        /* name:pw:uid:gid:gecos:home:shell */
        char *f[7];
        int k = 0;
        for (char *p = line; k < 7; k++) {
            f[k] = p;
            char *c = strchr(p, ':');
            if (!c) { k++; break; }
            *c = 0;
            p = c + 1;
        }
        if (k >= 6 && f[2][0] && strtoul(f[2], NULL, 10) == uid && f[5][0] == '/') {
            snprintf(out, outsz, "%s", f[5]);
            return 0;
        }
        line = next;
    }
    return -1;
}

/* The owner's home from the password database, looked up only when a rule uses ~: $HOME is the
 * agent's to change. /etc/passwd first (three syscalls); NSS (LDAP, ...) only for a user it does
 * not list. */
static const char *owner_home(void) {
    static char homebuf[PATH_MAX];
    static char pwbuf[4096];
    static int looked;
    static const char *home;
    if (looked) return home;
    looked = 1;
    struct passwd pw, *found = NULL;
    if (passwd_home(getuid(), homebuf, sizeof homebuf) == 0) home = homebuf;
    else if (getpwuid_r(getuid(), &pw, pwbuf, sizeof pwbuf, &found) == 0 && found) {
        snprintf(homebuf, sizeof homebuf, "%s", found->pw_dir);
        home = homebuf;
    }
    return home;
}

static void init(void) {
    busy = 1;
    resolve_reals();
    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    if (rnd) memcpy(&hash_seed, rnd, sizeof hash_seed);
    Dl_info info;
    static char selfbuf[PATH_MAX];
    if (dladdr((void *)&init, &info) && info.dli_fname) {
        /* clawav exec gives an absolute path; resolving it again in every process costs a syscall a component. */
        if (info.dli_fname[0] == '/' || !realpath(info.dli_fname, selfbuf)) snprintf(selfbuf, sizeof selfbuf, "%s", info.dli_fname);
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
        cg_policy_parse(&policy, text, len, owner_home);
    } else {
        policy.state = CG_INVALID;
        snprintf(policy.error, sizeof policy.error, "no usable policy: %s", why);
    }
    if (rejected[0]) cg_log_notice(&policy, "policy_rejected", rejected);
    if (policy.state == CG_INVALID) cg_log_notice(&policy, "policy_invalid", policy.error);
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

/*
 * The slow, exact judgement of a path: made absolute against cwd or dirfd, `.`/`..` folded, and
 * symlinks resolved (the longest existing prefix, for a file about to be created). Both the name
 * as written and the resolved one are judged. 0 to allow; -1 with errno EACCES and a log line.
 */
static int judge_path(const char *call, int dirfd, const char *path, int rd, int wr) {
    int invalid = policy.state == CG_INVALID;
    if (!(wr && (invalid || policy.nwrite)) && !(rd && policy.nread)) return 0;
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
    } else if (wr && ((i = cg_match_path(policy.write, policy.nwrite, lex)) >= 0 || (i = cg_match_path(policy.write, policy.nwrite, res)) >= 0)) {
        deny_log(call, "write", path, res, NULL, "deny_paths_write", i);
        verdict = -1;
    }
out:
    if (verdict) errno = EACCES;
    return verdict;
}

/*
 * The fast path's memory, per thread so it needs no lock: directories recently found to contain
 * no symlink (their realpath is themselves), and the cwd. A cwd change through chdir/fchdir bumps
 * a global generation; an entry lives one second, so a directory later swapped for a symlink is
 * caught again soon (a race inside that second is an honest limit: see the README).
 */
#define DIRCACHE 64
static __thread struct { unsigned long long h; long t; } dircache[DIRCACHE];
static __thread char cwd_cache[PATH_MAX];
static __thread unsigned cwd_cache_gen;
static unsigned cwd_gen = 1;

static unsigned long long dir_hash(const char *s, size_t n) {
    unsigned long long h = 1469598103934665603ULL ^ hash_seed;
    for (size_t i = 0; i < n; i++) { h ^= (unsigned char)s[i]; h *= 1099511628211ULL; }
    return h ^ (h >> 29);
}

static long now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
    return (long)t.tv_sec;
}

static int dir_is_real(const char *abs, size_t dirlen) {
    if (dirlen == 0) return 1; /* the root */
    unsigned long long h = dir_hash(abs, dirlen);
    unsigned slot = (unsigned)(h % DIRCACHE);
    long t = now_s();
    if (dircache[slot].h == h && t - dircache[slot].t < 1) return 1;
    char dir[PATH_MAX], real[PATH_MAX];
    memcpy(dir, abs, dirlen);
    dir[dirlen] = 0;
    if (!realpath(dir, real) || strcmp(real, dir) != 0) return 0;
    dircache[slot].h = h;
    dircache[slot].t = t;
    return 1;
}

static int has_dotdot(const char *p) {
    for (const char *s = p; (s = strstr(s, "..")) != NULL; s += 2)
        if ((s == p || s[-1] == '/') && (s[2] == 0 || s[2] == '/')) return 1;
    return 0;
}

#define GUARD_PROCEED (-2)

/*
 * Judges an open. Returns -1 (denied, errno EACCES), GUARD_PROCEED (the caller makes the real
 * call), or an fd it opened itself on the fast path.
 *
 * Fast path, for reads of a name without `..` in a directory known to hold no symlink: the name
 * as written is judged, then opened with O_NOFOLLOW. If that succeeds, the final component was
 * no symlink either, so what was judged is what was opened: no syscall beyond the open itself.
 * ELOOP (a symlink at the end) falls back to the exact, slow judgement.
 */
static int guard_open(const char *call, int dirfd, const char *path, int flags, mode_t mode) {
    if (!path || !ready()) return GUARD_PROCEED;
    int acc = flags & O_ACCMODE;
    int rd = !(flags & O_PATH) && (acc == O_RDONLY || acc == O_RDWR);
    int wr = !(flags & O_PATH) && (acc == O_WRONLY || acc == O_RDWR || (flags & (O_CREAT | O_TRUNC)));
    if (!(wr && (policy.state == CG_INVALID || policy.nwrite)) && !(rd && policy.nread)) return GUARD_PROCEED;
    busy = 1;
    int r = GUARD_PROCEED;
    if (!wr && !(flags & O_NOFOLLOW) && (path[0] == '/' || dirfd == AT_FDCWD) && !has_dotdot(path)) {
        char abs[PATH_MAX];
        int ok = 1;
        if (path[0] == '/') ok = strlen(path) < sizeof abs && (strcpy(abs, path), 1);
        else {
            unsigned g = __atomic_load_n(&cwd_gen, __ATOMIC_ACQUIRE);
            if (cwd_cache_gen != g) {
                if (getcwd(cwd_cache, sizeof cwd_cache)) cwd_cache_gen = g;
                else ok = 0;
            }
            if (ok) {
                /* cwd + "/" + path, without snprintf's cost on every relative open. */
                size_t c = strcmp(cwd_cache, "/") == 0 ? 0 : strlen(cwd_cache), p = strlen(path);
                if (c + 1 + p < sizeof abs) {
                    memcpy(abs, cwd_cache, c);
                    abs[c] = '/';
                    memcpy(abs + c + 1, path, p + 1);
                } else ok = 0;
            }
        }
        if (ok) {
            cg_normalize(abs);
            int i = cg_match_path(policy.read, policy.nread, abs);
            if (i >= 0) {
                deny_log(call, "read", path, abs, NULL, "deny_paths_read", i);
                errno = EACCES;
                r = -1;
                goto out;
            }
            const char *slash = strrchr(abs, '/');
            if (dir_is_real(abs, (size_t)(slash - abs))) {
                RESOLVE(openat);
                int fd = real_openat(dirfd, path, flags | O_NOFOLLOW, mode);
                if (fd >= 0 || errno != ELOOP) {
                    r = fd;
                    goto out;
                }
            }
        }
    }
    if (judge_path(call, dirfd, path, rd, wr)) r = -1;
out:
    busy = 0;
    return r;
}

static int fopen_flags(const char *mode) {
    if (!mode) return O_RDONLY;
    int plus = strchr(mode, '+') != NULL;
    int extra = (strchr(mode, 'e') ? O_CLOEXEC : 0) | (strchr(mode, 'x') ? O_EXCL : 0);
    switch (mode[0]) {
    case 'r': return (plus ? O_RDWR : O_RDONLY) | extra;
    case 'w': return (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_TRUNC | extra;
    case 'a': return (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_APPEND | extra;
    default: return O_RDONLY;
    }
}

/* fopen on the fast path: the guard already holds the descriptor (fopen is open + fdopen). */
static FILE *fd_file(int fd, const char *mode) {
    FILE *f = fdopen(fd, mode);
    if (!f) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return f;
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

/* Frees what guarded_env allocated, keeping the exec's errno; returns the exec's result. */
static int env_done(struct envbuf *b, int r) {
    int saved = errno;
    free(b->heap);
    errno = saved;
    return r;
}

static int exec_env(const char *path, char *const argv[], char *const envp[]) {
    RESOLVE(execve);
    struct envbuf b;
    return env_done(&b, real_execve(path, argv, (char *const *)guarded_env(envp, &b)));
}

static int execvpe_env(const char *file, char *const argv[], char *const envp[]) {
    RESOLVE(execvpe);
    struct envbuf b;
    return env_done(&b, real_execvpe(file, argv, (char *const *)guarded_env(envp, &b)));
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
    return env_done(&b, real_execveat(dirfd, path, argv, (char *const *)guarded_env(envp, &b), flags));
}

HOOK int fexecve(int fd, char *const argv[], char *const envp[]) {
    if (judge_exec("fexecve", AT_FDCWD, NULL, 0, fd, argv)) return -1;
    RESOLVE(fexecve);
    struct envbuf b;
    return env_done(&b, real_fexecve(fd, argv, (char *const *)guarded_env(envp, &b)));
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
    return env_done(&b, real_posix_spawn(pid, path, fa, attr, argv, (char *const *)guarded_env(envp, &b)));
}

HOOK int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
    if (judge_exec("posix_spawnp", AT_FDCWD, file, 1, -1, argv)) return EACCES;
    RESOLVE(posix_spawnp);
    struct envbuf b;
    return env_done(&b, real_posix_spawnp(pid, file, fa, attr, argv, (char *const *)guarded_env(envp, &b)));
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
    int r = guard_open("open", AT_FDCWD, path, flags, mode);
    if (r != GUARD_PROCEED) return r;
    RESOLVE(open);
    return real_open(path, flags, mode);
}

HOOK int open64(const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    int r = guard_open("open64", AT_FDCWD, path, flags, mode);
    if (r != GUARD_PROCEED) return r;
    RESOLVE(open64);
    return real_open64(path, flags, mode);
}

HOOK int openat(int dirfd, const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    int r = guard_open("openat", dirfd, path, flags, mode);
    if (r != GUARD_PROCEED) return r;
    RESOLVE(openat);
    return real_openat(dirfd, path, flags, mode);
}

HOOK int openat64(int dirfd, const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    int r = guard_open("openat64", dirfd, path, flags, mode);
    if (r != GUARD_PROCEED) return r;
    RESOLVE(openat64);
    return real_openat64(dirfd, path, flags, mode);
}

/* The _FORTIFY_SOURCE entry points programs compiled with it call instead of open/openat. */
HOOK int __open_2(const char *path, int flags) {
    int r = guard_open("open", AT_FDCWD, path, flags, 0);
    if (r != GUARD_PROCEED) return r;
    RESOLVE(__open_2);
    return real___open_2(path, flags);
}

HOOK int __open64_2(const char *path, int flags) {
    int r = guard_open("open64", AT_FDCWD, path, flags, 0);
    if (r != GUARD_PROCEED) return r;
    RESOLVE(__open64_2);
    return real___open64_2(path, flags);
}

HOOK int __openat_2(int dirfd, const char *path, int flags) {
    int r = guard_open("openat", dirfd, path, flags, 0);
    if (r != GUARD_PROCEED) return r;
    RESOLVE(__openat_2);
    return real___openat_2(dirfd, path, flags);
}

HOOK int __openat64_2(int dirfd, const char *path, int flags) {
    int r = guard_open("openat64", dirfd, path, flags, 0);
    if (r != GUARD_PROCEED) return r;
    RESOLVE(__openat64_2);
    return real___openat64_2(dirfd, path, flags);
}

HOOK FILE *fopen(const char *path, const char *mode) {
    int r = guard_open("fopen", AT_FDCWD, path, fopen_flags(mode), 0666);
    if (r == -1) return NULL;
    if (r >= 0) return fd_file(r, mode);
    RESOLVE(fopen);
    return real_fopen(path, mode);
}

HOOK FILE *fopen64(const char *path, const char *mode) {
    int r = guard_open("fopen64", AT_FDCWD, path, fopen_flags(mode), 0666);
    if (r == -1) return NULL;
    if (r >= 0) return fd_file(r, mode);
    RESOLVE(fopen64);
    return real_fopen64(path, mode);
}

HOOK int creat(const char *path, mode_t mode) {
    if (guard_open("creat", AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, mode) == -1) return -1;
    RESOLVE(creat);
    return real_creat(path, mode);
}

HOOK int creat64(const char *path, mode_t mode) {
    if (guard_open("creat64", AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, mode) == -1) return -1;
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

/* The fast path caches the cwd; a change through libc tells every thread to read it again. */
HOOK int chdir(const char *path) {
    RESOLVE(chdir);
    int r = real_chdir(path);
    __atomic_add_fetch(&cwd_gen, 1, __ATOMIC_RELEASE);
    return r;
}

HOOK int fchdir(int fd) {
    RESOLVE(fchdir);
    int r = real_fchdir(fd);
    __atomic_add_fetch(&cwd_gen, 1, __ATOMIC_RELEASE);
    return r;
}

/*
 * A denied file must not get a second name (a hard link, or moved elsewhere) under which it could
 * be read; and linking, moving or removing inside a write-denied place is a write there.
 */
static int judge_two(const char *call, int olddir, const char *old, int old_wr, int newdir, const char *new_) {
    if (!old || !ready()) return 0;
    busy = 1;
    int r = judge_path(call, olddir, old, 1, old_wr) || (new_ && judge_path(call, newdir, new_, 0, 1)) ? -1 : 0;
    busy = 0;
    return r;
}

HOOK int link(const char *old, const char *new_) {
    if (judge_two("link", AT_FDCWD, old, 0, AT_FDCWD, new_)) return -1;
    RESOLVE(link);
    return real_link(old, new_);
}

HOOK int linkat(int od, const char *old, int nd, const char *new_, int flags) {
    if (judge_two("linkat", od, old, 0, nd, new_)) return -1;
    RESOLVE(linkat);
    return real_linkat(od, old, nd, new_, flags);
}

HOOK int rename(const char *old, const char *new_) {
    if (judge_two("rename", AT_FDCWD, old, 1, AT_FDCWD, new_)) return -1;
    RESOLVE(rename);
    return real_rename(old, new_);
}

HOOK int renameat(int od, const char *old, int nd, const char *new_) {
    if (judge_two("renameat", od, old, 1, nd, new_)) return -1;
    RESOLVE(renameat);
    return real_renameat(od, old, nd, new_);
}

HOOK int renameat2(int od, const char *old, int nd, const char *new_, unsigned int flags) {
    if (judge_two("renameat2", od, old, 1, nd, new_)) return -1;
    RESOLVE(renameat2);
    return real_renameat2(od, old, nd, new_, flags);
}

static int judge_unlink(const char *call, int dirfd, const char *path) {
    if (!path || !ready()) return 0;
    busy = 1;
    int r = judge_path(call, dirfd, path, 0, 1);
    busy = 0;
    return r;
}

HOOK int unlink(const char *path) {
    if (judge_unlink("unlink", AT_FDCWD, path)) return -1;
    RESOLVE(unlink);
    return real_unlink(path);
}

HOOK int unlinkat(int dirfd, const char *path, int flags) {
    if (judge_unlink("unlinkat", dirfd, path)) return -1;
    RESOLVE(unlinkat);
    return real_unlinkat(dirfd, path, flags);
}
