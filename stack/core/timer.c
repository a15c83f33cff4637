/* One-shot timers kept in a list sorted by deadline (FIFO among equals, so
 * timers due at the same instant run in the order they were armed). */
#include "shoal/timer.h"
#include "core/stack_priv.h"

void stack_timer_cancel(struct stack *s, struct stack_timer *t)
{
    if (!t->armed) return;
    for (struct stack_timer **pp = &s->timers; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    t->next = NULL;
    t->armed = false;
}

void stack_timer_arm(struct stack *s, struct stack_timer *t, uint64_t deadline_ns, stack_timer_fn fn, void *arg)
{
    stack_timer_cancel(s, t);
    t->deadline_ns = deadline_ns;
    t->fn = fn;
    t->arg = arg;
    struct stack_timer **pp = &s->timers;
    while (*pp != NULL && (*pp)->deadline_ns <= deadline_ns) pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    t->armed = true;
}

uint64_t stack_next_deadline(const struct stack *s)
{
    return s->timers != NULL ? s->timers->deadline_ns : SHOAL_TIME_NEVER;
}

void stack_run_timers(struct stack *s, uint64_t now_ns)
{
    /* A callback may arm timers, even for now: they run in this call too. */
    while (s->timers != NULL && s->timers->deadline_ns <= now_ns) {
        struct stack_timer *t = s->timers;
        s->timers = t->next;
        t->next = NULL;
        t->armed = false;
        t->fn(s, t->arg);
    }
}
