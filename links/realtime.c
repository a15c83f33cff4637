/* Realtime pacing of the virtual clock; see realtime.h. It lives beside
 * the TAP bridge, not in simcore: the engine never reads a clock, and this
 * reads the wall only once a host descriptor (a TAP) is attached. */
/* ppoll and clock_gettime are POSIX/GNU, hidden by strict C11. */
#define _GNU_SOURCE
#include "realtime.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>

#include "sim.h"

struct sim_realtime {
    struct pollfd fds[SIM_REALTIME_MAX_FDS];
    sim_io_fn fn[SIM_REALTIME_MAX_FDS];
    void *arg[SIM_REALTIME_MAX_FDS];
    unsigned count;
    bool anchored;
    uint64_t anchor_virtual_ns;
    uint64_t anchor_wall_ns;
};

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void realtime_free(struct sim *sim)
{
    free(sim->realtime);
    sim->realtime = NULL;
}

static const struct sim_pacer realtime_pacer = {
    .step = sim_realtime_step,
    .run_until = sim_realtime_run_until,
    .free = realtime_free,
};

int sim_realtime_watch(struct sim *sim, int fd, sim_io_fn fn, void *arg)
{
    if (sim->realtime == NULL) {
        sim->realtime = calloc(1, sizeof(*sim->realtime));
        if (sim->realtime == NULL) return -1;
        sim->pacer = &realtime_pacer;
    }
    struct sim_realtime *rt = sim->realtime;
    if (rt->count >= SIM_REALTIME_MAX_FDS) return -1;
    rt->fds[rt->count] = (struct pollfd){.fd = fd, .events = POLLIN};
    rt->fn[rt->count] = fn;
    rt->arg[rt->count] = arg;
    rt->count++;
    return 0;
}


/* The virtual time the wall clock says it is now. target_ns is the time
 * the simulation is heading for (its next event or its limit): if that is
 * overdue by more than the allowed lag, the anchor moves so that it is due
 * just now (virtual time slips instead of racing to catch up). */
static uint64_t virtual_now(struct sim *sim, struct sim_realtime *rt, uint64_t wall, uint64_t target_ns)
{
    if (!rt->anchored) {
        rt->anchored = true;
        rt->anchor_virtual_ns = sim->now_ns;
        rt->anchor_wall_ns = wall;
    }
    uint64_t v = rt->anchor_virtual_ns + (wall - rt->anchor_wall_ns);
    uint64_t floor = target_ns > sim->now_ns ? target_ns : sim->now_ns;
    if (v < sim->now_ns || (v > floor && v - floor > SIM_REALTIME_MAX_LAG_NS)) {
        if (v < sim->now_ns) floor = sim->now_ns;
        rt->anchor_virtual_ns = floor;
        rt->anchor_wall_ns = wall;
        v = floor;
    }
    return v;
}

/* Wait at most timeout_ns (UINT64_MAX: a second at a time) for a readable
 * descriptor; run the callbacks of those that are, at virtual time vnow.
 * Returns whether any was. */
static bool poll_io(struct sim *sim, struct sim_realtime *rt, uint64_t timeout_ns, uint64_t target_ns)
{
    if (timeout_ns > 1000000000u) timeout_ns = 1000000000u;
    struct timespec ts = {.tv_sec = (time_t)(timeout_ns / 1000000000u), .tv_nsec = (long)(timeout_ns % 1000000000u)};
    int n = ppoll(rt->fds, rt->count, &ts, NULL);
    if (n <= 0) return false; /* timeout, or EINTR: the caller loops */
    uint64_t v = virtual_now(sim, rt, wall_ns(), target_ns);
    if (v > target_ns) v = target_ns; /* never past the next event */
    if (v > sim->now_ns) sim->now_ns = v;
    bool any = false;
    for (unsigned i = 0; i < rt->count; i++) {
        if (rt->fds[i].revents & (POLLIN | POLLERR | POLLHUP)) {
            rt->fn[i](rt->arg[i]);
            any = true;
        }
    }
    return any;
}

int sim_realtime_step(struct sim *sim, uint64_t limit_ns)
{
    struct sim_realtime *rt = sim->realtime;
    for (;;) {
        uint64_t next = sim_next_event(sim);
        uint64_t target = next < limit_ns ? next : limit_ns;
        uint64_t wall = wall_ns();
        uint64_t v = virtual_now(sim, rt, wall, target);
        if (v >= target) {
            /* Due (or overdue): look at the host once without waiting, so
             * a busy simulation still hears it, then run the earliest
             * instant (what was just read, if anything, is due now). */
            poll_io(sim, rt, 0, target);
            return sim_step_virtual(sim, limit_ns);
        }
        poll_io(sim, rt, target - v, target);
    }
}

void sim_realtime_run_until(struct sim *sim, uint64_t until_ns)
{
    /* A run starts in step with the wall: however long the script spent
     * since the last one, run(duration=d) takes d. */
    sim->realtime->anchored = false;
    while (sim_realtime_step(sim, until_ns)) {
    }
}
