/*
 * A TCP echo server (RFC 862) in plain POSIX: poll() over the listening
 * socket and its clients, echo whatever arrives. Serves until `clients`
 * connections have come and gone, then exits.
 * Usage: echo_server [port [clients]]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CLIENTS 4

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 7;
    int clients_wanted = argc > 2 ? atoi(argv[2]) : 1;
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    if (ls < 0) {
        perror("echo_server: socket");
        return 1;
    }
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(ls, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(ls, 4) < 0) {
        perror("echo_server: bind/listen");
        return 1;
    }
    printf("echo_server: listening on port %d\n", port);

    struct pollfd fds[1 + MAX_CLIENTS];
    int nclients = 0, served = 0;
    long echoed = 0;
    fds[0].fd = ls;
    fds[0].events = POLLIN;
    while (served < clients_wanted) {
        if (poll(fds, (nfds_t)(1 + nclients), -1) < 0) {
            perror("echo_server: poll");
            return 1;
        }
        if ((fds[0].revents & POLLIN) && nclients < MAX_CLIENTS) {
            struct sockaddr_in peer;
            socklen_t plen = sizeof(peer);
            int c = accept(ls, (struct sockaddr *)&peer, &plen);
            if (c >= 0) {
                char ip[INET_ADDRSTRLEN];
                inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip));
                printf("echo_server: client %s:%u connected\n", ip, ntohs(peer.sin_port));
                fds[1 + nclients].fd = c;
                fds[1 + nclients].events = POLLIN;
                fds[1 + nclients].revents = 0;
                nclients++;
            }
        }
        for (int i = 1; i <= nclients; i++) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[512];
            ssize_t n = recv(fds[i].fd, buf, sizeof(buf), 0);
            if (n > 0) {
                if (send(fds[i].fd, buf, (size_t)n, 0) != n) perror("echo_server: send");
                echoed += n;
                continue;
            }
            if (n < 0 && errno == EAGAIN) continue;
            printf("echo_server: client done (%s)\n", n == 0 ? "end of stream" : strerror(errno));
            close(fds[i].fd);
            fds[i] = fds[nclients];
            nclients--;
            i--;
            served++;
        }
    }
    close(ls);
    printf("echo_server: served %d clients, echoed %ld bytes\n", served, echoed);
    return 0;
}
