/*
 * Cooperative tasks (see task.h) with ucontext: makecontext gives each task
 * a malloc'd stack, swapcontext moves between the scheduler (whatever event
 * resumed the task) and the task. Under AddressSanitizer every switch is
 * announced with __sanitizer_start/finish_switch_fiber, so ASan knows which
 * stack is live.
 */
#define _GNU_SOURCE
#include "task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "node.h"
#include "sim.h"
#include "shoal/def.h"
#include "shoal/sockets.h"

#if defined(__SANITIZE_ADDRESS__)
#define TASK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TASK_ASAN 1
#endif
#endif
#ifdef TASK_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

enum task_state { TASK_READY, TASK_RUNNING, TASK_PARKED, TASK_DONE };

/* A node that runs tasks: its socket table and wakeup. */
struct task_node {
    struct task_node *next;
    struct task_sched *ts;
    struct sim_node *node;
    struct socket_table table;
};

struct task {
    struct task *next;
    struct task_sched *ts;
    struct task_node *tn;
    char name[32];
    task_fn fn;
    void *arg;
    enum task_state state;
    int result;
    ucontext_t ctx;
    void *stack;
    size_t stack_size;
    uint64_t gen;          /* bumped at every park: stale events carry an older one */
    bool io_wait;          /* parked in task_wait_io */
    bool kicked;           /* a resume event for this park is already scheduled */
    bool timed_out;
    void (*cleanup)(void *arg);
    void *cleanup_arg;
#ifdef TASK_ASAN
    void *asan_fake;
#endif
};

struct task_sched {
    struct sim *sim;
    struct task *tasks;
    struct task *tasks_tail;
    struct task_node *nodes;
    ucontext_t sched_ctx;
    size_t live;
#ifdef TASK_ASAN
    const void *sched_bottom;
    size_t sched_size;
#endif
};

/* The task running now. Tasks never run concurrently: one per thread. */
static _Thread_local struct task *cur_task;

/* ---- switching ---- */

static void switch_into(struct task *t)
{
    struct task_sched *ts = t->ts;
    struct task *prev = cur_task;
    cur_task = t;
    t->state = TASK_RUNNING;
#ifdef TASK_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, t->stack, t->stack_size);
#endif
    swapcontext(&ts->sched_ctx, &t->ctx);
#ifdef TASK_ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
    cur_task = prev;
    sim_node_kick(t->tn->node);
    if (t->state == TASK_DONE) {
        free(t->stack);
        t->stack = NULL;
    }
}

static void park(struct task *t)
{
    struct task_sched *ts = t->ts;
    t->state = TASK_PARKED;
#ifdef TASK_ASAN
    __sanitizer_start_switch_fiber(&t->asan_fake, ts->sched_bottom, ts->sched_size);
#endif
    swapcontext(&t->ctx, &ts->sched_ctx);
#ifdef TASK_ASAN
    __sanitizer_finish_switch_fiber(t->asan_fake, &ts->sched_bottom, &ts->sched_size);
#endif
}

static _Noreturn void finish(struct task *t, int result)
{
    struct task_sched *ts = t->ts;
    t->result = result;
    t->state = TASK_DONE;
    t->cleanup = NULL;
    ts->live--;
#ifdef TASK_ASAN
    /* NULL: this fiber is gone for good. */
    __sanitizer_start_switch_fiber(NULL, ts->sched_bottom, ts->sched_size);
#endif
    setcontext(&ts->sched_ctx);
    abort(); /* setcontext does not return */
}

static void task_entry(void)
{
    struct task *t = cur_task;
#ifdef TASK_ASAN
    __sanitizer_finish_switch_fiber(NULL, &t->ts->sched_bottom, &t->ts->sched_size);
#endif
    finish(t, t->fn(t->arg));
}

/* ---- events ---- */

static void resume_event(void *arg, void *payload, uint64_t gen)
{
    (void)payload;
    struct task *t = arg;
    if (t->gen != gen) return; /* superseded */
    if (t->state == TASK_READY) {
        switch_into(t);
        return;
    }
    if (t->state != TASK_PARKED) return;
    t->timed_out = false;
    switch_into(t);
}

static void timeout_event(void *arg, void *payload, uint64_t gen)
{
    (void)payload;
    struct task *t = arg;
    if (t->gen != gen || t->state != TASK_PARKED) return;
    t->timed_out = true;
    switch_into(t);
}

static void node_wakeup(void *arg)
{
    struct task_node *tn = arg;
    /* Called from inside the stack: only schedule, never switch here. */
    for (struct task *t = tn->ts->tasks; t != NULL; t = t->next) {
        if (t->tn != tn || t->state != TASK_PARKED || !t->io_wait || t->kicked) continue;
        t->kicked = true;
        sim_schedule(tn->ts->sim, tn->ts->sim->now_ns, resume_event, t, NULL, t->gen);
    }
}

/* ---- scheduler ---- */

struct task_sched *task_sched_new(struct sim *sim)
{
    struct task_sched *ts = calloc(1, sizeof(*ts));
    if (ts != NULL) ts->sim = sim;
    return ts;
}

void task_sched_free(struct task_sched *ts)
{
    if (ts == NULL) return;
    for (struct task *t = ts->tasks, *next; t != NULL; t = next) {
        next = t->next;
        if (t->cleanup != NULL) t->cleanup(t->cleanup_arg);
        free(t->stack);
        free(t);
    }
    for (struct task_node *tn = ts->nodes, *next; tn != NULL; tn = next) {
        next = tn->next;
        if (tn->node->stack != NULL && sockets_get(tn->node->stack) == &tn->table) {
            sockets_deinit(tn->node->stack);
            sim_node_kick(tn->node);
        }
        free(tn);
    }
    free(ts);
}

static struct task_node *node_ctx(struct task_sched *ts, struct sim_node *node)
{
    for (struct task_node *tn = ts->nodes; tn != NULL; tn = tn->next)
        if (tn->node == node) return tn;
    struct task_node *tn = calloc(1, sizeof(*tn));
    if (tn == NULL) return NULL;
    tn->ts = ts;
    tn->node = node;
    sockets_init(node->stack, &tn->table);
    sockets_set_wakeup(node->stack, node_wakeup, tn);
    tn->next = ts->nodes;
    ts->nodes = tn;
    return tn;
}

/* Apart from task_spawn_at: getcontext returns twice, which would make
 * every local of its caller suspect (-Wclobbered). */
static __attribute__((noinline)) int init_context(struct task *t, size_t stack_bytes)
{
    if (getcontext(&t->ctx) != 0) return -1;
    t->ctx.uc_stack.ss_sp = t->stack;
    t->ctx.uc_stack.ss_size = stack_bytes;
    t->ctx.uc_link = NULL;
    makecontext(&t->ctx, task_entry, 0);
    return 0;
}

struct task *task_spawn_at(struct task_sched *ts, struct sim_node *node, const char *name, task_fn fn, void *arg,
                           size_t stack_bytes, uint64_t start_ns)
{
    if (ts == NULL || node == NULL || node->stack == NULL || fn == NULL) return NULL;
    if (stack_bytes == 0) stack_bytes = TASK_STACK_DEFAULT;
    if (stack_bytes < TASK_STACK_MIN) stack_bytes = TASK_STACK_MIN;
    struct task_node *tn = node_ctx(ts, node);
    struct task *t = calloc(1, sizeof(*t));
    if (tn == NULL || t == NULL) {
        free(t);
        return NULL;
    }
    t->stack = malloc(stack_bytes);
    if (t->stack == NULL || init_context(t, stack_bytes) != 0) {
        free(t->stack);
        free(t);
        return NULL;
    }
    t->ts = ts;
    t->tn = tn;
    t->fn = fn;
    t->arg = arg;
    t->stack_size = stack_bytes;
    t->state = TASK_READY;
    snprintf(t->name, sizeof(t->name), "%s", name != NULL ? name : "task");
    if (start_ns < ts->sim->now_ns) start_ns = ts->sim->now_ns;
    if (sim_schedule(ts->sim, start_ns, resume_event, t, NULL, t->gen) != 0) {
        free(t->stack);
        free(t);
        return NULL;
    }
    if (ts->tasks_tail != NULL)
        ts->tasks_tail->next = t;
    else
        ts->tasks = t;
    ts->tasks_tail = t;
    ts->live++;
    return t;
}

bool task_done(const struct task *t) { return t != NULL && t->state == TASK_DONE; }
int task_result(const struct task *t) { return t != NULL ? t->result : -1; }
const char *task_name(const struct task *t) { return t != NULL ? t->name : ""; }
size_t task_sched_live(const struct task_sched *ts) { return ts != NULL ? ts->live : 0; }

bool task_sched_run(struct task_sched *ts, uint64_t limit_ns)
{
    while (ts->live > 0 && sim_step(ts->sim, limit_ns)) {
    }
    return ts->live == 0;
}

/* ---- inside a task ---- */

struct task *task_self(void) { return cur_task; }
struct sim_node *task_node(void) { return cur_task != NULL ? cur_task->tn->node : NULL; }
struct stack *task_stack(void) { return cur_task != NULL ? cur_task->tn->node->stack : NULL; }
uint64_t task_now_ns(void) { return cur_task != NULL ? cur_task->ts->sim->now_ns : 0; }

void task_sleep_ns(uint64_t ns)
{
    struct task *t = cur_task;
    if (t == NULL) return;
    struct sim *sim = t->ts->sim;
    uint64_t at = ns > UINT64_MAX - sim->now_ns ? UINT64_MAX - 1 : sim->now_ns + ns;
    t->gen++;
    t->io_wait = false;
    t->kicked = true;
    if (sim_schedule(sim, at, resume_event, t, NULL, t->gen) != 0) return;
    park(t);
}

void task_yield(void) { task_sleep_ns(0); }

bool task_wait_io(uint64_t deadline_ns)
{
    struct task *t = cur_task;
    if (t == NULL) return false;
    struct sim *sim = t->ts->sim;
    if (deadline_ns <= sim->now_ns) return false;
    t->gen++;
    t->io_wait = true;
    t->kicked = false;
    t->timed_out = false;
    if (deadline_ns != SHOAL_TIME_NEVER && sim_schedule(sim, deadline_ns, timeout_event, t, NULL, t->gen) != 0)
        return false;
    park(t);
    t->io_wait = false;
    return !t->timed_out;
}

_Noreturn void task_exit(int result)
{
    struct task *t = cur_task;
    if (t == NULL) exit(result);
    finish(t, result);
}

void task_set_cleanup(void (*fn)(void *arg), void *arg)
{
    if (cur_task == NULL) return;
    cur_task->cleanup = fn;
    cur_task->cleanup_arg = arg;
}
