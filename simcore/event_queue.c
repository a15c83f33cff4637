/* Binary heap of events keyed by (time_ns, seq); see event_queue.h. */
#include "event_queue.h"

#include <stdlib.h>

static inline bool ev_before(const struct sim_event *a, const struct sim_event *b)
{
    return a->time_ns < b->time_ns || (a->time_ns == b->time_ns && a->seq < b->seq);
}

void eq_init(struct event_queue *q)
{
    q->heap = NULL;
    q->len = 0;
    q->cap = 0;
    q->next_seq = 0;
}

void eq_destroy(struct event_queue *q)
{
    for (size_t i = 0; i < q->len; i++) free(q->heap[i].payload);
    free(q->heap);
    eq_init(q);
}

int eq_push(struct event_queue *q, uint64_t time_ns, sim_event_fn fn, void *arg, void *payload, uint64_t aux)
{
    if (q->len == q->cap) {
        size_t ncap = q->cap ? q->cap * 2 : 256;
        struct sim_event *nh = realloc(q->heap, ncap * sizeof(*nh));
        if (nh == NULL) {
            free(payload);
            return -1;
        }
        q->heap = nh;
        q->cap = ncap;
    }
    struct sim_event ev = {time_ns, q->next_seq++, fn, arg, payload, aux};
    /* Sift up with a hole: move parents down until ev's place is found. */
    size_t i = q->len++;
    struct sim_event *h = q->heap;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!ev_before(&ev, &h[parent])) break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = ev;
    return 0;
}

bool eq_pop(struct event_queue *q, struct sim_event *out)
{
    if (q->len == 0) return false;
    struct sim_event *h = q->heap;
    *out = h[0];
    size_t n = --q->len;
    if (n == 0) return true;
    struct sim_event last = h[n];
    /* Sift down with a hole from the root. */
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && ev_before(&h[c + 1], &h[c])) c++;
        if (!ev_before(&h[c], &last)) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = last;
    return true;
}
