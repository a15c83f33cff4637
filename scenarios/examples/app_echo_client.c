/*
 * A TCP echo client in plain POSIX: connect, send numbered lines, read each
 * echo back and check it. Exit status 0 when every line came back intact.
 * Usage: echo_client host port lines
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read one line (up to '\n') into buf. */
static int read_line(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        char c;
        ssize_t r = recv(fd, &c, 1, 0);
        if (r <= 0) return -1;
        buf[n++] = c;
        if (c == '\n') break;
    }
    buf[n] = '\0';
    return (int)n;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: echo_client host port lines\n");
        return 2;
    }
    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(argv[1], argv[2], &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "echo_client: getaddrinfo: %s\n", gai_strerror(rc));
        return 1;
    }
    int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    double t0 = now_s();
    if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
        perror("echo_client: connect");
        freeaddrinfo(res);
        return 1;
    }
    freeaddrinfo(res);
    printf("echo_client: connected in %.3f ms\n", (now_s() - t0) * 1e3);
    int lines = atoi(argv[3]), ok = 0;
    for (int i = 0; i < lines; i++) {
        char line[128], back[128];
        snprintf(line, sizeof(line), "line %d: the quick brown fox\n", i);
        double t = now_s();
        if (send(fd, line, strlen(line), 0) < 0) {
            perror("echo_client: send");
            break;
        }
        if (read_line(fd, back, sizeof(back)) < 0) {
            perror("echo_client: recv");
            break;
        }
        int same = strcmp(line, back) == 0;
        ok += same;
        back[strcspn(back, "\n")] = '\0';
        printf("echo_client: echo %d %s rtt=%.3f ms \"%s\"\n", i, same ? "ok" : "MISMATCH", (now_s() - t) * 1e3, back);
    }
    shutdown(fd, SHUT_WR);
    char rest[16];
    ssize_t n = recv(fd, rest, sizeof(rest), 0); /* the server's close: end of stream */
    close(fd);
    printf("echo_client: %d/%d lines echoed intact, eof=%s\n", ok, lines, n == 0 ? "yes" : "no");
    return ok == lines && n == 0 ? 0 : 1;
}
