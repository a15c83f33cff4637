/*
 * Realtime mode with a pipe standing in for a TAP: off until a descriptor
 * is watched; then run_until(d) takes about d of wall time, events run no
 * earlier on the wall than their virtual time, and bytes written to the
 * pipe are handled at the virtual "now" they were noticed, never past the
 * next event.
 */
/* pipe, clock_gettime, nanosleep: POSIX, hidden by strict C11. */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../stack/tests/check.h"
#include "realtime.h"
#include "sim.h"

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct probe {
    struct sim *sim;
    int fd;
    uint64_t virt[8];
    uint64_t wall[8];
    unsigned n;
};

static void readable(void *arg)
{
    struct probe *p = arg;
    char buf[64];
    while (read(p->fd, buf, sizeof(buf)) > 0) {
    }
    if (p->n < 8) {
        p->virt[p->n] = p->sim->now_ns;
        p->wall[p->n] = wall_ns();
        p->n++;
    }
}

static void event(void *arg, void *payload, uint64_t aux)
{
    (void)payload;
    (void)aux;
    struct probe *p = arg;
    if (p->n < 8) {
        p->virt[p->n] = p->sim->now_ns;
        p->wall[p->n] = wall_ns();
        p->n++;
    }
}

int main(void)
{
    struct sim *sim = sim_new(1);
    CHECK(!sim_is_realtime(sim));
    /* Off: a second of virtual time passes at once. */
    uint64_t w0 = wall_ns();
    sim_run_until(sim, 1000000000u);
    CHECK(wall_ns() - w0 < 100000000u);

    int fds[2];
    CHECK(pipe(fds) == 0);
    CHECK(fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0); /* as a TAP's descriptor is */
    struct probe p = {.sim = sim, .fd = fds[0]};
    CHECK(sim_realtime_watch(sim, fds[0], readable, &p) == 0);
    CHECK(sim_is_realtime(sim));

    /* On: 100 ms of virtual time take 100 ms of wall time; an event at
     * +30 ms runs no earlier than 30 ms in. */
    CHECK(sim_schedule(sim, sim->now_ns + 30000000u, event, &p, NULL, 0) == 0);
    w0 = wall_ns();
    uint64_t v0 = sim->now_ns;
    sim_run_until(sim, v0 + 100000000u);
    uint64_t took = wall_ns() - w0;
    CHECK(took >= 100000000u && took < 400000000u);
    CHECK_EQ(p.n, 1);
    CHECK_EQ(p.virt[0], v0 + 30000000u);
    CHECK(p.wall[0] - w0 >= 30000000u);

    /* A byte written 20 ms into a 200 ms step wakes it: handled at about
     * +20 ms of virtual time, before the event at +150 ms. */
    p.n = 0;
    v0 = sim->now_ns;
    CHECK(sim_schedule(sim, v0 + 150000000u, event, &p, NULL, 0) == 0);
    if (fork() == 0) {
        struct timespec d = {.tv_sec = 0, .tv_nsec = 20000000};
        nanosleep(&d, NULL);
        _exit(write(fds[1], "x", 1) == 1 ? 0 : 1);
    }
    sim_run_until(sim, v0 + 200000000u);
    int status;
    wait(&status);
    CHECK_EQ(p.n, 2);
    CHECK(p.virt[0] >= v0 + 20000000u && p.virt[0] < v0 + 150000000u);
    CHECK_EQ(p.virt[1], v0 + 150000000u);
    CHECK_EQ(sim->now_ns, v0 + 200000000u);

    /* After a pause of the script, a run still takes its own length. */
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 80000000};
    nanosleep(&pause, NULL);
    w0 = wall_ns();
    sim_run_until(sim, sim->now_ns + 50000000u);
    took = wall_ns() - w0;
    CHECK(took >= 50000000u && took < 300000000u);

    close(fds[0]);
    close(fds[1]);
    sim_free(sim);
    return test_report("test_realtime");
}
