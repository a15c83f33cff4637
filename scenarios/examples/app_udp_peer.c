/*
 * A UDP request/response exchange in plain POSIX.
 *   udp_peer server port        answer each datagram with it upper-cased,
 *                               until one says "quit" or 5 s pass in silence
 *   udp_peer client host port n send n requests, each retried on a
 *                               SO_RCVTIMEO timeout (doubling), and check the answers
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int server(int port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        perror("udp_server: bind");
        return 1;
    }
    struct timeval idle = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle));
    printf("udp_server: bound to port %d\n", port);
    int answered = 0;
    for (;;) {
        char buf[256];
        struct sockaddr_in from;
        socklen_t flen = sizeof(from);
        ssize_t n = recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &flen);
        if (n < 0 && errno == EAGAIN) {
            printf("udp_server: 5 s without requests, done\n");
            break;
        }
        if (n < 0) {
            perror("udp_server: recvfrom");
            return 1;
        }
        buf[n] = '\0';
        if (strcmp(buf, "quit") == 0) break;
        for (ssize_t i = 0; i < n; i++) buf[i] = (char)toupper((unsigned char)buf[i]);
        sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen);
        answered++;
    }
    close(fd);
    printf("udp_server: answered %d requests\n", answered);
    return 0;
}

static int client(const char *host, int port, int count)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to;
    memset(&to, 0, sizeof(to));
    to.sin_family = AF_INET;
    to.sin_port = htons((unsigned short)port);
    if (inet_pton(AF_INET, host, &to.sin_addr) != 1) {
        fprintf(stderr, "udp_client: bad address %s\n", host);
        return 2;
    }
    int ok = 0;
    for (int i = 0; i < count; i++) {
        char req[64], want[64], got[256];
        snprintf(req, sizeof(req), "request %d", i);
        snprintf(want, sizeof(want), "REQUEST %d", i);
        bool answered = false;
        for (int attempt = 0; attempt < 5 && !answered; attempt++) {
            /* 200 ms, doubling per retry (an unanswered ARP takes 1 s to retry). */
            struct timeval wait = {0, 200000};
            wait.tv_sec = (200000L << attempt) / 1000000L;
            wait.tv_usec = (200000L << attempt) % 1000000L;
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
            sendto(fd, req, strlen(req), 0, (struct sockaddr *)&to, sizeof(to));
            for (;;) {
                ssize_t n = recv(fd, got, sizeof(got) - 1, 0);
                if (n < 0) {
                    if (errno == EAGAIN) printf("udp_client: request %d timed out, retrying\n", i);
                    break;
                }
                got[n] = '\0';
                if (strcmp(got, want) != 0) {
                    /* An answer to an earlier, retried request: not this one. */
                    printf("udp_client: stale answer \"%s\" ignored\n", got);
                    continue;
                }
                printf("udp_client: answer \"%s\"\n", got);
                ok++;
                answered = true;
                break;
            }
        }
    }
    sendto(fd, "quit", 4, 0, (struct sockaddr *)&to, sizeof(to));
    close(fd);
    printf("udp_client: %d/%d answers correct\n", ok, count);
    return ok == count ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "server") == 0) return server(atoi(argv[2]));
    if (argc >= 5 && strcmp(argv[1], "client") == 0) return client(argv[2], atoi(argv[3]), atoi(argv[4]));
    fprintf(stderr, "usage: udp_peer server port | udp_peer client host port n\n");
    return 2;
}
