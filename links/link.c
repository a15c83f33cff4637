/* The part every link kind shares; see link.h. */
#include "link.h"
#include "pcap_writer.h"

#include <stdlib.h>
#include <string.h>

int link_init(struct link *l, const struct link_ops *ops, struct sim *sim, const char *name, const char *pcap_path,
              int linktype)
{
    l->ops = ops;
    l->sim = sim;
    l->pcap = NULL;
    size_t len = strlen(name);
    l->name = malloc(len + 1);
    if (l->name == NULL) return LINK_ENOMEM;
    memcpy(l->name, name, len + 1);
    rng_derive(&l->rng, sim->seed, "link", name);
    if (pcap_path != NULL) {
        l->pcap = pcap_writer_open(pcap_path, linktype);
        if (l->pcap == NULL) {
            free(l->name);
            l->name = NULL;
            return LINK_EPCAP;
        }
    }
    return 0;
}

void link_fini(struct link *l)
{
    pcap_writer_close(l->pcap);
    l->pcap = NULL;
    free(l->name);
    l->name = NULL;
}

void link_free(struct link *l)
{
    if (l == NULL) return;
    link_fini(l);
    l->ops->destroy(l);
}

void link_flush(struct link *l)
{
    if (l) pcap_writer_flush(l->pcap);
}

struct link_frame *link_frame_new(const uint8_t *data, size_t len)
{
    struct link_frame *f = malloc(sizeof(*f) + len);
    if (f == NULL) return NULL;
    f->next = NULL;
    f->at_ns = 0;
    f->ser_ns = 0;
    f->len = len;
    f->epoch = 0;
    memcpy(f->data, data, len);
    return f;
}

static void link_change_event(void *arg, void *payload, uint64_t aux)
{
    (void)aux;
    struct link_change *c = payload;
    c->apply(arg, c);
    free(c);
}

int link_at(struct link *l, uint64_t at_ns, struct link_change *change)
{
    if (at_ns <= l->sim->now_ns) {
        change->apply(l, change);
        free(change);
        return 0;
    }
    return sim_schedule(l->sim, at_ns, link_change_event, l, change, 0) == 0 ? 0 : LINK_ENOMEM;
}
