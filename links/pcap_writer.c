/* pcap capture files via libpcap; see pcap_writer.h. */
/* libpcap's headers use the BSD types (u_int, u_char) that strict C11 hides. */
#define _DEFAULT_SOURCE
#include "pcap_writer.h"

#include <pcap/pcap.h>
#include <stdlib.h>

struct pcap_writer {
    pcap_t *pcap;
    pcap_dumper_t *dumper;
};

struct pcap_writer *pcap_writer_open(const char *path, int linktype)
{
    struct pcap_writer *w = calloc(1, sizeof(*w));
    if (w == NULL) return NULL;
    /* A "dead" handle only describes the file: link type, snap length and
     * nanosecond precision (the magic 0xa1b23c4d). */
    w->pcap = pcap_open_dead_with_tstamp_precision(linktype, (int)PCAP_WRITER_SNAPLEN, PCAP_TSTAMP_PRECISION_NANO);
    if (w->pcap == NULL) {
        free(w);
        return NULL;
    }
    w->dumper = pcap_dump_open(w->pcap, path);
    if (w->dumper == NULL) {
        pcap_close(w->pcap);
        free(w);
        return NULL;
    }
    return w;
}

void pcap_writer_write(struct pcap_writer *w, uint64_t time_ns, const uint8_t *data, size_t len)
{
    if (w == NULL) return;
    struct pcap_pkthdr hdr;
    /* With nanosecond precision libpcap reads tv_usec as nanoseconds. */
    hdr.ts.tv_sec = (time_t)(time_ns / 1000000000u);
    hdr.ts.tv_usec = (suseconds_t)(time_ns % 1000000000u);
    hdr.caplen = (bpf_u_int32)(len < PCAP_WRITER_SNAPLEN ? len : PCAP_WRITER_SNAPLEN);
    hdr.len = (bpf_u_int32)len;
    pcap_dump((u_char *)w->dumper, &hdr, data);
}

void pcap_writer_flush(struct pcap_writer *w)
{
    if (w) pcap_dump_flush(w->dumper);
}

void pcap_writer_close(struct pcap_writer *w)
{
    if (w == NULL) return;
    pcap_dump_close(w->dumper);
    pcap_close(w->pcap);
    free(w);
}
