/*
 * POSIX socket calls for application code that runs as a simulator task
 * (simcore/task.h): an ordinary client or server compiles unmodified
 * against this header (e.g. with `-include shoal_posix.h`) and then talks
 * through the stack of the node its task runs on, blocking on the virtual
 * clock. The names are mapped with #define onto shoal_posix_*; the types are
 * the system's own (<sys/socket.h>, <netinet/in.h>, <poll.h>, <netdb.h>),
 * whose Linux layouts the stack's shoal/sockets.h shares. errno is the real
 * errno, set by each call.
 *
 * Socket descriptors start at SHOAL_POSIX_FD_BASE so that they never look
 * like the process's own files; read, write, close and fcntl on other
 * descriptors go to the real functions. Time (sleep, usleep, nanosleep,
 * clock_gettime, gettimeofday) is the virtual clock (outside a task they
 * fail with EPERM: there is no simulation clock to read).
 *
 * Define SHOAL_POSIX_NO_MACROS to get the declarations without the mapping.
 */
#ifndef SHOAL_POSIX_H
#define SHOAL_POSIX_H

/* addrinfo, nanosleep, useconds_t ...: POSIX and BSD, hidden by strict C. */
#if !defined(_DEFAULT_SOURCE) && !defined(_GNU_SOURCE)
#define _DEFAULT_SOURCE
#endif

/* The system headers first, so that the mapping below never renames their
 * declarations (their include guards keep later includes from reparsing). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define SHOAL_POSIX_FD_BASE 100

int shoal_posix_socket(int domain, int type, int protocol);
int shoal_posix_bind(int fd, const struct sockaddr *addr, socklen_t len);
int shoal_posix_listen(int fd, int backlog);
int shoal_posix_accept(int fd, struct sockaddr *addr, socklen_t *len);
int shoal_posix_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int shoal_posix_connect(int fd, const struct sockaddr *addr, socklen_t len);
ssize_t shoal_posix_send(int fd, const void *buf, size_t len, int flags);
ssize_t shoal_posix_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to, socklen_t tolen);
ssize_t shoal_posix_recv(int fd, void *buf, size_t len, int flags);
ssize_t shoal_posix_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen);
ssize_t shoal_posix_read(int fd, void *buf, size_t len);
ssize_t shoal_posix_write(int fd, const void *buf, size_t len);
int shoal_posix_close(int fd);
int shoal_posix_shutdown(int fd, int how);
int shoal_posix_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int shoal_posix_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int shoal_posix_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
int shoal_posix_getpeername(int fd, struct sockaddr *addr, socklen_t *len);
int shoal_posix_fcntl(int fd, int cmd, ...);
int shoal_posix_ioctl(int fd, unsigned long req, ...);
int shoal_posix_poll(struct pollfd *fds, nfds_t nfds, int timeout_ms);
int shoal_posix_select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout);
int shoal_posix_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                            struct addrinfo **res);
void shoal_posix_freeaddrinfo(struct addrinfo *res);
unsigned int shoal_posix_sleep(unsigned int seconds);
int shoal_posix_usleep(useconds_t usec);
int shoal_posix_nanosleep(const struct timespec *req, struct timespec *rem);
int shoal_posix_clock_gettime(clockid_t clk, struct timespec *ts);
int shoal_posix_gettimeofday(struct timeval *tv, void *tz);

#ifndef SHOAL_POSIX_NO_MACROS
#define socket shoal_posix_socket
#define bind shoal_posix_bind
#define listen shoal_posix_listen
#define accept shoal_posix_accept
#define accept4 shoal_posix_accept4
#define connect shoal_posix_connect
#define send shoal_posix_send
#define sendto shoal_posix_sendto
#define recv shoal_posix_recv
#define recvfrom shoal_posix_recvfrom
#define read shoal_posix_read
#define write shoal_posix_write
#define close shoal_posix_close
#define shutdown shoal_posix_shutdown
#define setsockopt shoal_posix_setsockopt
#define getsockopt shoal_posix_getsockopt
#define getsockname shoal_posix_getsockname
#define getpeername shoal_posix_getpeername
#define fcntl shoal_posix_fcntl
#define ioctl shoal_posix_ioctl
#define poll shoal_posix_poll
#define select shoal_posix_select
#define getaddrinfo shoal_posix_getaddrinfo
#define freeaddrinfo shoal_posix_freeaddrinfo
#define sleep shoal_posix_sleep
#define usleep shoal_posix_usleep
#define nanosleep shoal_posix_nanosleep
#define clock_gettime shoal_posix_clock_gettime
#define gettimeofday shoal_posix_gettimeofday
#endif

#endif
