/*
 * One-shot timers on the instance's clock. A module embeds a struct
 * stack_timer in its own state and arms it for an absolute deadline; the
 * instance keeps armed timers sorted, so stack_next_deadline() is O(1).
 */
#ifndef SHOAL_TIMER_H
#define SHOAL_TIMER_H

#include "shoal/def.h"

struct stack;
struct stack_timer;

typedef void (*stack_timer_fn)(struct stack *s, void *arg);

struct stack_timer {
    struct stack_timer *next;
    uint64_t deadline_ns;
    stack_timer_fn fn;
    void *arg;
    bool armed;
};

/* (Re)arm t to fire fn(s, arg) at deadline_ns. Arming an armed timer moves it. */
void stack_timer_arm(struct stack *s, struct stack_timer *t, uint64_t deadline_ns, stack_timer_fn fn, void *arg);
void stack_timer_cancel(struct stack *s, struct stack_timer *t);
static inline bool stack_timer_armed(const struct stack_timer *t) { return t->armed; }

#endif
