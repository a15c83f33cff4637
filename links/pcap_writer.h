/*
 * Capture files through libpcap, with nanosecond timestamps taken from the
 * virtual clock. Nothing in the file depends on the wall clock or the host,
 * so two runs with the same seed write byte-identical files.
 */
#ifndef SHOAL_PCAP_WRITER_H
#define SHOAL_PCAP_WRITER_H

#include <stddef.h>
#include <stdint.h>

struct pcap_writer;

#define PCAP_WRITER_SNAPLEN 65535u

/* linktype: a DLT_* value (DLT_EN10MB = 1 for Ethernet). NULL on failure. */
struct pcap_writer *pcap_writer_open(const char *path, int linktype);
void pcap_writer_write(struct pcap_writer *w, uint64_t time_ns, const uint8_t *data, size_t len);
void pcap_writer_flush(struct pcap_writer *w);
void pcap_writer_close(struct pcap_writer *w);

#endif
