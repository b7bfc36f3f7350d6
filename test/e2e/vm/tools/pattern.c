/*
 * pattern write SEED SIZE        writes SIZE bytes of a seeded xorshift stream to stdout
 * pattern check SEED SIZE        reads stdin; exit 0 if it is exactly that stream,
 *                                else prints the first differing offset and exits 1
 *
 * Test data for large-file checks in the guest: /dev/urandom plus md5sum of
 * 64 MiB cost ~10 s under TCG; this costs well under one, and a mismatch
 * names the offset (which block, which RPC) instead of "checksums differ".
 * Built with gcc -static so it runs in the busybox initramfs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1 << 16)

static uint64_t state;

/* xorshift64* (Vigna): fast and good enough to make every block distinct. */
static uint64_t next(void) {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 2685821657736338717ULL;
}

static void fill(unsigned char *buf, size_t n) {
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v = next();
        memcpy(buf + i, &v, 8);
    }
}

static int full_read(int fd, unsigned char *buf, size_t n, size_t *got) {
    *got = 0;
    while (*got < n) {
        ssize_t r = read(fd, buf + *got, n - *got);
        if (r < 0) { if (errno == EINTR) continue; return -1; }
        if (r == 0) break;
        *got += (size_t)r;
    }
    return 0;
}

int main(int argc, char **argv) {
    static unsigned char want[CHUNK], have[CHUNK];
    if (argc != 4) {
        fprintf(stderr, "usage: pattern write|check SEED SIZE\n");
        return 2;
    }
    state = strtoull(argv[2], NULL, 10) * 0x9E3779B97F4A7C15ULL + 1;
    uint64_t size = strtoull(argv[3], NULL, 10), off = 0;
    int writing = strcmp(argv[1], "write") == 0;
    if (!writing && strcmp(argv[1], "check") != 0) {
        fprintf(stderr, "pattern: unknown mode %s\n", argv[1]);
        return 2;
    }
    while (off < size) {
        size_t n = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
        fill(want, CHUNK);
        if (writing) {
            size_t done = 0;
            while (done < n) {
                ssize_t w = write(1, want + done, n - done);
                if (w < 0) { if (errno == EINTR) continue; perror("pattern: write"); return 1; }
                done += (size_t)w;
            }
        } else {
            size_t got;
            if (full_read(0, have, n, &got) != 0) { perror("pattern: read"); return 1; }
            for (size_t i = 0; i < got; i++) {
                if (have[i] != want[i]) {
                    printf("pattern: first difference at offset %" PRIu64 " (got 0x%02x, want 0x%02x)\n",
                           off + i, have[i], want[i]);
                    return 1;
                }
            }
            if (got < n) {
                printf("pattern: short input: %" PRIu64 " bytes, want %" PRIu64 "\n", off + got, size);
                return 1;
            }
        }
        off += n;
    }
    if (!writing) {
        unsigned char extra;
        size_t got;
        if (full_read(0, &extra, 1, &got) == 0 && got > 0) {
            printf("pattern: input longer than %" PRIu64 " bytes\n", size);
            return 1;
        }
    }
    return 0;
}
