/*
 * runas UID GID [-g GID,GID...] CMD [ARG...]
 *
 * Runs CMD as an ordinary user inside the test guest. busybox su/setpriv
 * need /etc/passwd entries; this needs nothing. Order matters: supplementary
 * groups and the gid must be set while still privileged, the uid last.
 * Built with gcc -static so it runs in the busybox initramfs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_GROUPS 32

static int parse_id(const char *s, unsigned long *out) {
    char *end;
    errno = 0;
    *out = strtoul(s, &end, 10);
    return errno == 0 && end != s && *end == '\0' && *out <= 0xffffffffUL;
}

int main(int argc, char **argv) {
    unsigned long uid, gid, g;
    gid_t groups[MAX_GROUPS];
    size_t ngroups = 0;
    int argi = 3;

    if (argc < 4 || !parse_id(argv[1], &uid) || !parse_id(argv[2], &gid)) {
        fprintf(stderr, "usage: runas UID GID [-g GID,GID...] CMD [ARG...]\n");
        return 125;
    }
    if (strcmp(argv[argi], "-g") == 0 && argi + 2 < argc) {
        char *list = argv[argi + 1];
        for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
            if (ngroups == MAX_GROUPS || !parse_id(tok, &g)) {
                fprintf(stderr, "runas: bad group list\n");
                return 125;
            }
            groups[ngroups++] = (gid_t)g;
        }
        argi += 2;
    }
    if (setgroups(ngroups, groups) != 0) { perror("runas: setgroups"); return 125; }
    if (setgid((gid_t)gid) != 0) { perror("runas: setgid"); return 125; }
    if (setuid((uid_t)uid) != 0) { perror("runas: setuid"); return 125; }
    execvp(argv[argi], &argv[argi]);
    fprintf(stderr, "runas: %s: %s\n", argv[argi], strerror(errno));
    return 127;
}
