/* poll and select over one instance's sockets: readiness now, never waiting
 * (a blocking host waits for the wakeup callback and asks again). */
#include "api/sockets_priv.h"

static short sock_revents(struct sock *k)
{
    return k->kind == SOCK_KIND_TCP ? sock_tcp_poll(k) : sock_dgram_poll(k);
}

int sock_poll(struct stack *s, struct shoal_pollfd *fds, size_t nfds)
{
    if (fds == NULL && nfds > 0) return -SHOAL_EFAULT;
    int ready = 0;
    for (size_t i = 0; i < nfds; i++) {
        struct shoal_pollfd *pf = &fds[i];
        pf->revents = 0;
        if (pf->fd < 0) continue; /* POSIX: ignored */
        struct sock *k = sock_lookup(s, pf->fd);
        if (k == NULL) {
            pf->revents = SHOAL_POLLNVAL;
        } else {
            short ev = sock_revents(k);
            /* POLLERR, POLLHUP and POLLNVAL are reported whatever was asked. */
            pf->revents = (short)(ev & (pf->events | SHOAL_POLLERR | SHOAL_POLLHUP));
        }
        if (pf->revents != 0) ready++;
    }
    return ready;
}

int sock_select(struct stack *s, int nfds, shoal_fd_set *readfds, shoal_fd_set *writefds, shoal_fd_set *exceptfds)
{
    if (nfds < 0) return -SHOAL_EINVAL;
    if (nfds > SHOAL_FD_SETSIZE) nfds = SHOAL_FD_SETSIZE;
    shoal_fd_set r, w, e;
    shoal_fd_zero(&r);
    shoal_fd_zero(&w);
    shoal_fd_zero(&e);
    int ready = 0;
    for (int fd = 0; fd < nfds; fd++) {
        bool want_r = readfds != NULL && shoal_fd_isset(fd, readfds);
        bool want_w = writefds != NULL && shoal_fd_isset(fd, writefds);
        bool want_e = exceptfds != NULL && shoal_fd_isset(fd, exceptfds);
        if (!want_r && !want_w && !want_e) continue;
        struct sock *k = sock_lookup(s, fd);
        if (k == NULL) return -SHOAL_EBADF;
        short ev = sock_revents(k);
        /* select's read set includes end of stream and errors (POSIX). */
        if (want_r && (ev & (SHOAL_POLLIN | SHOAL_POLLHUP | SHOAL_POLLERR))) {
            shoal_fd_set_bit(fd, &r);
            ready++;
        }
        if (want_w && (ev & (SHOAL_POLLOUT | SHOAL_POLLERR))) {
            shoal_fd_set_bit(fd, &w);
            ready++;
        }
        if (want_e && (ev & SHOAL_POLLPRI)) {
            shoal_fd_set_bit(fd, &e);
            ready++;
        }
    }
    if (readfds != NULL) *readfds = r;
    if (writefds != NULL) *writefds = w;
    if (exceptfds != NULL) *exceptfds = e;
    return ready;
}
