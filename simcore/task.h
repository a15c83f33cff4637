/*
 * Cooperative tasks on the virtual clock: application code that blocks
 * (in recv, accept, sleep ...) runs inside a simulated node as a task with
 * its own stack. A task runs only from a simulator event, until it parks:
 * on a socket wakeup of its node (shoal/sockets.h), a deadline on the
 * virtual clock, or both. Everything happens in event order, so the same
 * seed gives the same run (and the same pcaps).
 *
 * The scheduler gives each node that runs tasks a socket table
 * (sockets_init) and owns the wakeup callback of that table.
 * simcore/shoal_posix.h maps the POSIX socket calls onto this.
 *
 * Free the scheduler (task_sched_free) before the simulation (sim_free).
 */
#ifndef SHOAL_SIM_TASK_H
#define SHOAL_SIM_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim;
struct sim_node;
struct stack;
struct task;
struct task_sched;

typedef int (*task_fn)(void *arg);

#define TASK_STACK_DEFAULT (128u * 1024u)
#define TASK_STACK_MIN (16u * 1024u)

struct task_sched *task_sched_new(struct sim *sim);
/* Tasks still parked are dropped without running further (their stacks
 * are freed); every socket of every node's table is closed. */
void task_sched_free(struct task_sched *ts);

/* A task running fn(arg) on node's stack instance, started at virtual time
 * start_ns (now when in the past). stack_bytes 0: TASK_STACK_DEFAULT. NULL
 * when node has no stack or memory ran out. */
struct task *task_spawn_at(struct task_sched *ts, struct sim_node *node, const char *name, task_fn fn, void *arg,
                           size_t stack_bytes, uint64_t start_ns);
static inline struct task *task_spawn(struct task_sched *ts, struct sim_node *node, const char *name, task_fn fn,
                                      void *arg, size_t stack_bytes)
{
    return task_spawn_at(ts, node, name, fn, arg, stack_bytes, 0);
}

bool task_done(const struct task *t);
int task_result(const struct task *t);    /* fn's return value, once done */
const char *task_name(const struct task *t);
size_t task_sched_live(const struct task_sched *ts); /* tasks not done */

/* Run the simulation until every task is done or the clock reaches
 * limit_ns. Returns true when all tasks finished. */
bool task_sched_run(struct task_sched *ts, uint64_t limit_ns);

/* ---- inside a task ---- */

struct task *task_self(void);               /* NULL outside tasks */
struct sim_node *task_node(void);
struct stack *task_stack(void);
uint64_t task_now_ns(void);
/* Park for ns of virtual time. */
void task_sleep_ns(uint64_t ns);
/* Park until the node's sockets may have changed (wakeup), or until the
 * absolute deadline (UINT64_MAX: none). True when woken, false on timeout. */
bool task_wait_io(uint64_t deadline_ns);
/* Let the other tasks due at this instant run first. */
void task_yield(void);
/* End the task now with a result (like returning from fn). */
_Noreturn void task_exit(int result);
/* Called if the task is dropped while parked (task_sched_free), to undo
 * what it registered with the stack; NULL clears. */
void task_set_cleanup(void (*fn)(void *arg), void *arg);

#endif
