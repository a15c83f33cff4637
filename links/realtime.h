/*
 * Realtime mode: the virtual clock kept in step with the wall clock, for
 * simulations that exchange frames with the host (a TAP device, links/tap.c).
 *
 * It is off until something registers a host file descriptor with
 * sim_realtime_watch(); until then the simulation never reads the wall
 * clock, so ordinary runs stay deterministic. Once on, sim_run_until() and
 * sim_step() wait (poll) until the wall clock reaches the next event's
 * virtual time, and a descriptor that becomes readable meanwhile has its
 * callback run with the virtual clock moved to "now" on the wall. The
 * callback schedules whatever it read as events of that instant.
 *
 * Mapping: virtual = anchor_virtual + (CLOCK_MONOTONIC - anchor_wall). Each
 * sim_run_until() anchors afresh at its start, so run(duration=d) takes d
 * of wall time however long the script paused before it. When an event
 * falls overdue by more than SIM_REALTIME_MAX_LAG_NS (a paused script
 * stepping with sim_step(), or a host too slow for the load) the anchor
 * moves so that it is due now: virtual time slips rather than racing to
 * catch up.
 */
#ifndef SHOAL_SIM_REALTIME_H
#define SHOAL_SIM_REALTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "sim.h"

#define SIM_REALTIME_MAX_LAG_NS 50000000u /* 50 ms */
#define SIM_REALTIME_MAX_FDS 32u

/* Called when fd is readable; the virtual clock is then the wall's "now". */
typedef void (*sim_io_fn)(void *arg);

/* Watch fd (non-blocking) and turn realtime mode on. 0, or -1 (too many
 * descriptors, out of memory). */
int sim_realtime_watch(struct sim *sim, int fd, sim_io_fn fn, void *arg);

static inline bool sim_is_realtime(const struct sim *sim) { return sim->realtime != NULL; }

/* The realtime versions of sim_step() and sim_run_until(), the pacer that
 * sim_realtime_watch() installs (sim.c calls them through it). */
int sim_realtime_step(struct sim *sim, uint64_t limit_ns);
void sim_realtime_run_until(struct sim *sim, uint64_t until_ns);

#endif
