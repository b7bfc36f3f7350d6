/*
 * locktool: POSIX byte-range locks (fcntl) from the e2e guest, for the NLM
 * tests. One process opens FILE read-write and runs the commands in order,
 * so the locks it takes stay held until it exits. Each command prints one line:
 *
 *   setlk  r|w START LEN   F_SETLK   -> "setlk ok" | "setlk denied <errno name>"
 *   setlkw r|w START LEN   F_SETLKW  -> "setlkw ok <milliseconds waited>" | "setlkw error <errno name>"
 *   getlk  r|w START LEN   F_GETLK   -> "getlk unlocked" | "getlk r|w START LEN PID"
 *   unlock START LEN       F_UNLCK   -> "unlock ok" | "unlock error <errno name>"
 *   touch PATH             create PATH (a marker other processes wait for)
 *   waitfor PATH SECONDS   wait until PATH exists -> "waitfor ok" | "waitfor timeout"
 *   sleep SECONDS
 *   pid                    -> "pid N"
 *
 * LEN 0 means "to the end of the file". Exit status: 0, or 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *errname(int e) {
  switch (e) {
  case EAGAIN: return "EAGAIN";
  case EACCES: return "EACCES";
  case EDEADLK: return "EDEADLK";
  case ENOLCK: return "ENOLCK";
  case EINTR: return "EINTR";
  case EIO: return "EIO";
  case EBADF: return "EBADF";
  case EINVAL: return "EINVAL";
  default: return "other";
  }
}

static void usage(void) {
  fprintf(stderr, "usage: locktool FILE CMD [ARGS] ...\n");
  exit(2);
}

static short ltype(const char *s) {
  if (strcmp(s, "r") == 0) return F_RDLCK;
  if (strcmp(s, "w") == 0) return F_WRLCK;
  usage();
  return 0;
}

static void fill(struct flock *fl, short type, const char *start, const char *len) {
  memset(fl, 0, sizeof *fl);
  fl->l_type = type;
  fl->l_whence = SEEK_SET;
  fl->l_start = strtoll(start, NULL, 10);
  fl->l_len = strtoll(len, NULL, 10);
}

int main(int argc, char **argv) {
  if (argc < 3) usage();
  int fd = open(argv[1], O_RDWR | O_CREAT, 0666);
  if (fd < 0) {
    printf("open error %s\n", errname(errno));
    return 1;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  struct flock fl;
  for (int i = 2; i < argc;) {
    const char *cmd = argv[i++];
#define NEED(n) if (i + (n) > argc) usage()
    if (strcmp(cmd, "setlk") == 0 || strcmp(cmd, "setlkw") == 0) {
      NEED(3);
      int wait = cmd[5] == 'w';
      fill(&fl, ltype(argv[i]), argv[i + 1], argv[i + 2]);
      i += 3;
      long long t0 = now_ms();
      if (fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl) == 0) {
        if (wait) printf("setlkw ok %lld\n", now_ms() - t0);
        else printf("setlk ok\n");
      } else {
        printf("%s %s %s\n", cmd, wait ? "error" : "denied", errname(errno));
      }
    } else if (strcmp(cmd, "getlk") == 0) {
      NEED(3);
      fill(&fl, ltype(argv[i]), argv[i + 1], argv[i + 2]);
      i += 3;
      if (fcntl(fd, F_GETLK, &fl) != 0) printf("getlk error %s\n", errname(errno));
      else if (fl.l_type == F_UNLCK) printf("getlk unlocked\n");
      else
        printf("getlk %s %lld %lld %d\n", fl.l_type == F_WRLCK ? "w" : "r", (long long)fl.l_start,
               (long long)fl.l_len, (int)fl.l_pid);
    } else if (strcmp(cmd, "unlock") == 0) {
      NEED(2);
      fill(&fl, F_UNLCK, argv[i], argv[i + 1]);
      i += 2;
      if (fcntl(fd, F_SETLK, &fl) == 0) printf("unlock ok\n");
      else printf("unlock error %s\n", errname(errno));
    } else if (strcmp(cmd, "touch") == 0) {
      NEED(1);
      int m = open(argv[i++], O_WRONLY | O_CREAT, 0644);
      if (m >= 0) close(m);
    } else if (strcmp(cmd, "waitfor") == 0) {
      NEED(2);
      const char *path = argv[i];
      long long deadline = now_ms() + strtoll(argv[i + 1], NULL, 10) * 1000;
      i += 2;
      struct stat st;
      while (stat(path, &st) != 0 && now_ms() < deadline) usleep(50000);
      printf("waitfor %s\n", stat(path, &st) == 0 ? "ok" : "timeout");
    } else if (strcmp(cmd, "sleep") == 0) {
      NEED(1);
      usleep((useconds_t)(strtod(argv[i++], NULL) * 1e6));
    } else if (strcmp(cmd, "pid") == 0) {
      printf("pid %d\n", (int)getpid());
    } else {
      usage();
    }
  }
  return 0;
}
