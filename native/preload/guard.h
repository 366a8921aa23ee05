/*
 * libclawguard.so: an LD_PRELOAD guard loaded into the agent (never into the watchdog).
 * The policy is parsed once, before main, into fixed arrays that are only read afterwards, so
 * every hook is thread-safe without a lock.
 */
#ifndef CLAWGUARD_GUARD_H
#define CLAWGUARD_GUARD_H

#include <limits.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#define CG_MAX_RULES 256
#define CG_MAX_ARGV_PATTERNS 16
#define CG_ARENA 65536
#define MAX_POLICY_BYTES (1 << 20)   /* a policy file is at most this minus one byte */
#define CG_MAX_STRING 4095           /* bytes of one decoded string, like a path */

struct cg_exec_rule {
    const char *exe;                 /* glob on the resolved path when it has a '/', else a base name glob */
    const char *argv[CG_MAX_ARGV_PATTERNS]; /* each must match some argument; none = any use of exe */
    int nargv;
};

struct cg_path_rule {
    const char *pattern;             /* expanded (~ replaced), absolute */
    size_t len;                      /* strlen(pattern) */
    size_t literal;                  /* bytes before the first wildcard: a cheap test before fnmatch */
    int dir;                         /* pattern names a directory prefix */
    int glob;                        /* pattern has wildcards: fnmatch */
};

struct cg_net_rule {
    int family;                      /* 0 any, AF_INET, AF_INET6 */
    unsigned char addr[16];
    int prefix;                      /* -1: no address part */
    int port;                        /* 0: any port */
    const char *text;
};

struct cg_policy {
    int state;                       /* CG_OK, CG_INVALID (fail closed) */
    int legacy;                      /* seed 000's format: no "version" */
    int disabled;                    /* "enabled": false: no rule applies */
    char error[256];
    char source[PATH_MAX];           /* the file the policy came from */
    const char *log;
    int quiet;
    struct cg_exec_rule exec[CG_MAX_RULES];
    int nexec;
    struct cg_path_rule read[CG_MAX_RULES];
    int nread;
    struct cg_path_rule write[CG_MAX_RULES];
    int nwrite;
    struct cg_net_rule net[CG_MAX_RULES];
    int nnet;
    char arena[CG_ARENA];
    size_t used;
};

enum { CG_OK = 0, CG_INVALID = 1 };

/* policy.c */
/* The home directory "~" stands for, looked up only when a rule uses it (NULL: none). */
typedef const char *(*cg_home_fn)(void);
void cg_policy_parse(struct cg_policy *p, const char *text, size_t len, cg_home_fn home);
int cg_match_path(const struct cg_path_rule *rules, int n, const char *path);
int cg_match_exec(const struct cg_policy *p, const char *given, const char *resolved, char *const argv[]);
int cg_match_net(const struct cg_policy *p, const struct sockaddr *sa, socklen_t len, char *addr_out, size_t addr_sz, int *port_out);

/* paths.c: 0 on success; lexical is the normalised absolute path, resolved has symlinks followed. */
int cg_absolute(int dirfd, const char *path, char *out, size_t outsz);
void cg_normalize(char *path);
int cg_resolve(const char *absolute, char *out);
int cg_search_path(const char *file, char *out, size_t outsz);

/* log.c */
struct cg_denial {
    const char *call;
    const char *op;                  /* exec, read, write, connect */
    const char *path;
    const char *resolved;
    char *const *argv;
    const char *addr;
    int port;
    const char *rule;
    int index;
};
void cg_log_denial(const struct cg_policy *p, const struct cg_denial *d);
void cg_log_notice(const struct cg_policy *p, const char *event, const char *detail);

#endif
