// clawav-notify: the daemon's voice to systemd (sd_notify). Node has no AF_UNIX datagram socket,
// so the daemon writes its messages to this helper's stdin, separated by NUL bytes, and the helper
// sends each one as a datagram to $NOTIFY_SOCKET (a path, or '@' for the abstract namespace).
// The unit runs with NotifyAccess=all: the datagrams come from this helper's pid, in the unit's
// cgroup. It ends at EOF (the daemon closed the pipe or died). Send failures are said on stderr,
// counted, and do not stop it: systemd may be restarting.
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_MESSAGE 4096

int main(void) {
  const char *path = getenv("NOTIFY_SOCKET");
  if (path == NULL || path[0] == '\0') {
    fprintf(stderr, "clawav-notify: NOTIFY_SOCKET is not set: nothing to send to\n");
    return 64;
  }
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  size_t len = strlen(path);
  if ((path[0] != '/' && path[0] != '@') || len < 2 || len >= sizeof sa.sun_path) {
    fprintf(stderr, "clawav-notify: NOTIFY_SOCKET '%s' is not an absolute path or an abstract name (@...) that fits a socket address\n", path);
    return 64;
  }
  memcpy(sa.sun_path, path, len);
  if (path[0] == '@') sa.sun_path[0] = '\0';
  socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/' ? 1 : 0));
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fprintf(stderr, "clawav-notify: socket: %s\n", strerror(errno));
    return 71;
  }
  static char buf[MAX_MESSAGE];
  size_t used = 0;
  unsigned long failed = 0, oversized = 0;
  int skipping = 0; // inside a message longer than the buffer: its rest is dropped too
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buf + used, sizeof buf - used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    used += (size_t)n;
    size_t start = 0;
    for (size_t i = 0; i < used; i++) {
      if (buf[i] != '\0') continue;
      size_t mlen = i - start;
      if (skipping) skipping = 0;
      else if (mlen > 0 && sendto(fd, buf + start, mlen, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen) < 0) {
        if (failed++ == 0 || failed % 100 == 0) fprintf(stderr, "clawav-notify: sending to %s failed (%lu so far): %s\n", path, failed, strerror(errno));
      }
      start = i + 1;
    }
    memmove(buf, buf + start, used - start);
    used -= start;
    if (used == sizeof buf) {
      oversized++;
      fprintf(stderr, "clawav-notify: a message over %d bytes was dropped (%lu so far)\n", MAX_MESSAGE, oversized);
      used = 0;
      skipping = 1;
    }
  }
  close(fd);
  return 0;
}
