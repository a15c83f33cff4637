#!/usr/bin/python3
"""Write the seed corpus of fuzz_tcp_segments (fuzz/corpus/fuzz_tcp_segments/).

The input format is described at the top of fuzz/fuzz_tcp_segments.c: three
configuration bytes, then records (segments, clock advances, application
calls). Sequence and acknowledgment numbers are offsets from what the harness
learnt of the live connection, so these seeds keep working whatever ISN the
stack picks. Slots: 0 and 6 fresh tuples to the listener on port 80, 1 in
SYN-RCVD, 2 ESTABLISHED (passive), 3 ESTABLISHED (active), 4 SYN-SENT,
5 ESTABLISHED with 6000 bytes of ours in flight, 7 a port without listener.

Run: /usr/bin/python3 fuzz/make_tcp_corpus.py (deterministic: rerunning it
changes no file).
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_tcp_segments")

FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80
SEQ_FROM_PEER, ACK_FROM_PEER, RELOCATE, EXTRA = 0x08, 0x10, 0x20, 0x40
CTL_BAD_SUM, CTL_DATA_OFFSET, CTL_SHORT_IP, CTL_RESERVED = 0x01, 0x02, 0x04, 0x08
WRITE, RECVED, CLOSE, SHUTDOWN, ABORT, MODE, OUTPUT, OPEN = range(8)
M_AUTO_RECVED, M_ECHO, M_CLOSE_ON_FIN, M_CLOSE_IN_RECV, M_ABORT_IN_RECV, M_WRITE_IN_SENT, M_NODELAY, M_KEEPALIVE = (
    1 << k for k in range(8))
SYN_RCVD, PASSIVE, ACTIVE, SYN_SENT, IN_FLIGHT, CLOSED_PORT = 1, 2, 3, 4, 5, 7

# Stack configuration (c0) and the peer's SYN options (c1, c2).
C_NO_SACK, C_NO_TS, C_NO_WS, C_NO_DELACK, C_SMALL_WND, C_SMALL_POOLS, C_SMALL_SNDBUF, C_SMALL_OOSEQ = (
    1 << k for k in range(8))
P_MSS, P_SACK, P_TS, P_WS = 0x01, 0x02, 0x04, 0x08
ALL_OPTS = bytes([0, P_MSS | P_SACK | P_TS | P_WS | (7 << 4), 0])
NO_OPTS = bytes([0, 0, 0])


def seg(slot, flags, seq=0, ack=0, wnd=65535, opts=b"", payload=0, seq_peer=True, ack_peer=False,
        relocate=False, ctl=None, urg=0):
    """A segment on a slot; seq relative to the peer's highest sent (or the
    stack's last ACK), ack to the stack's highest sent (or the peer's last ack)."""
    assert len(opts) <= 40 and 0 <= payload <= 0x7FF
    op = slot | (SEQ_FROM_PEER if seq_peer else 0) | (ACK_FROM_PEER if ack_peer else 0)
    op |= (RELOCATE if relocate else 0) | (EXTRA if ctl is not None else 0)
    rec = struct.pack(">BBhhHB", op, flags, seq, ack, wnd, len(opts)) + opts + struct.pack(">H", payload)
    if ctl is not None:
        rec += struct.pack(">BH", ctl, urg)
    return rec


def wait(ms):
    """Advance the clock (exact up to 8191 ms, else in 64 ms steps)."""
    if ms < 0x2000:
        v = ms
    else:
        v = 0x2000 | min(ms // 64, 0x1FFF)
    return struct.pack(">BB", 0x80 | (v >> 8), v & 0xFF)


def app(op, slot, arg=0):
    return struct.pack(">BB", 0xC0 | (slot << 3) | op, arg)


# Options, raw bytes (RFC 9293 3.1, RFC 7323, RFC 2018).
def o_mss(v):
    return struct.pack(">BBH", 2, 4, v)


def o_ws(shift):
    return bytes([1, 3, 3, shift])


O_SACK_PERM = bytes([1, 1, 4, 2])


def o_ts(val, ecr):
    """With RELOCATE, val is added to the peer's clock and ecr to the stack's last TSval."""
    return struct.pack(">BBBBII", 1, 1, 8, 10, val & 0xFFFFFFFF, ecr & 0xFFFFFFFF)


def o_sack(*blocks):
    """With RELOCATE, edges are offsets from the ack base."""
    return bytes([1, 1, 5, 2 + 8 * len(blocks)]) + b"".join(
        struct.pack(">II", l & 0xFFFFFFFF, r & 0xFFFFFFFF) for l, r in blocks)


def seeds():
    s = {}
    s["setup_only_all_options"] = ALL_OPTS
    s["setup_only_no_options"] = NO_OPTS
    s["setup_small_everything"] = bytes([C_SMALL_WND | C_SMALL_POOLS | C_SMALL_SNDBUF | C_SMALL_OOSEQ,
                                         P_MSS | P_SACK, 12])
    # Handshakes: the SYN-RCVD slot completes; a fresh tuple goes all the way.
    s["handshake_syn_rcvd"] = ALL_OPTS + seg(SYN_RCVD, ACK) + app(WRITE, SYN_RCVD, 20)
    s["handshake_fresh"] = ALL_OPTS + seg(0, SYN, seq_peer=False, opts=o_mss(1200) + O_SACK_PERM) + seg(0, ACK) \
        + seg(0, PSH | ACK, payload=300) + wait(100)
    s["handshake_syn_data_fin"] = NO_OPTS + seg(6, SYN | FIN, payload=50, seq_peer=False) + seg(6, ACK) + wait(3000)
    s["handshake_bad_ack"] = ALL_OPTS + seg(SYN_RCVD, ACK, ack=-5) + seg(SYN_RCVD, ACK, ack=7) \
        + seg(SYN_RCVD, SYN, seq=-1, seq_peer=True) + wait(1500)
    s["active_syn_ack_late"] = ALL_OPTS + wait(1200) + seg(SYN_SENT, SYN | ACK, seq_peer=False, opts=o_mss(900)) \
        + app(WRITE, SYN_SENT, 30) + wait(200)
    s["simultaneous_open"] = NO_OPTS + seg(SYN_SENT, SYN, seq_peer=False) + seg(SYN_SENT, SYN | ACK, seq=-1) \
        + seg(SYN_SENT, ACK) + app(WRITE, SYN_SENT, 2)
    s["syn_sent_rst"] = NO_OPTS + seg(SYN_SENT, RST | ACK) + app(OPEN, SYN_SENT) + wait(100) \
        + seg(SYN_SENT, RST | ACK, ack=5) + wait(8000)
    # Data, in order and not.
    s["data_in_order"] = ALL_OPTS + seg(PASSIVE, PSH | ACK, payload=1000) + seg(PASSIVE, PSH | ACK, payload=448) \
        + wait(50) + app(RECVED, PASSIVE) + seg(ACTIVE, ACK, payload=1448) + app(MODE, ACTIVE, M_AUTO_RECVED | M_ECHO) \
        + seg(ACTIVE, PSH | ACK, payload=700) + wait(300) + seg(ACTIVE, ACK)
    s["data_out_of_order_sack"] = ALL_OPTS + seg(PASSIVE, ACK, seq=1000, payload=500) \
        + seg(PASSIVE, ACK, seq=2000, payload=500) + seg(PASSIVE, ACK, seq=-1500, payload=200) \
        + seg(PASSIVE, ACK, seq=-2500, payload=1000, seq_peer=True) + seg(PASSIVE, ACK, seq_peer=False, payload=1500) \
        + seg(PASSIVE, PSH | ACK, seq_peer=False, payload=1000) + app(RECVED, PASSIVE) + wait(100)
    s["data_overlap_and_dup"] = NO_OPTS + seg(PASSIVE, ACK, payload=500) + seg(PASSIVE, ACK, seq=-300, payload=600) \
        + seg(PASSIVE, ACK, seq=-1000, payload=100) + seg(PASSIVE, ACK, seq=200, payload=100) \
        + seg(PASSIVE, ACK, seq=-150, payload=400) + wait(50)
    s["ooseq_full"] = bytes([C_SMALL_OOSEQ, P_SACK, 0]) + b"".join(
        seg(PASSIVE, ACK, seq=300 * k, seq_peer=False, payload=100) for k in range(1, 6)) \
        + seg(PASSIVE, ACK, seq_peer=False, payload=300) + wait(200)
    # Our data in flight: cumulative ACKs, duplicates with SACK, recovery, RTO.
    s["sender_acks"] = ALL_OPTS + seg(IN_FLIGHT, ACK, ack=-1448) + seg(IN_FLIGHT, ACK) + wait(50) + seg(IN_FLIGHT, ACK) \
        + wait(50) + seg(IN_FLIGHT, ACK) + wait(100)
    sack_dup = lambda k: seg(IN_FLIGHT, ACK, ack_peer=True, relocate=True,  # noqa: E731
                             opts=o_ts(k, 0) + o_sack((1448, 1448 * (k + 1))))
    s["sender_sack_recovery"] = ALL_OPTS + sack_dup(1) + sack_dup(2) + sack_dup(3) + sack_dup(4) + wait(20) \
        + seg(IN_FLIGHT, ACK, ack=-1000, relocate=True, opts=o_ts(6, 0)) + seg(IN_FLIGHT, ACK, relocate=True,
                                                                              opts=o_ts(7, 0)) + wait(500)
    s["sender_dupacks_newreno"] = bytes([C_NO_SACK, P_MSS, 0]) + seg(IN_FLIGHT, ACK, ack_peer=True) * 4 \
        + seg(IN_FLIGHT, ACK, ack_peer=True, ack=536) + seg(IN_FLIGHT, ACK) + wait(300)
    s["sender_rto_backoff"] = ALL_OPTS + wait(1000) + wait(2000) + wait(4000) + seg(IN_FLIGHT, ACK) + wait(8000)
    s["sender_gives_up"] = NO_OPTS + wait(0x1FFF * 64) + wait(0x1FFF * 64)
    s["ack_beyond_snd_nxt"] = ALL_OPTS + seg(IN_FLIGHT, ACK, ack=20000) + seg(PASSIVE, ACK, ack=1) \
        + seg(PASSIVE, ACK, ack=-30000)
    # Window: the peer closes it (persist), we close ours (no tcp_recved).
    s["zero_window_peer"] = ALL_OPTS + seg(IN_FLIGHT, ACK, wnd=0) + wait(1000) + wait(2000) + wait(4000) \
        + seg(IN_FLIGHT, ACK, wnd=0) + wait(3000) + seg(IN_FLIGHT, ACK, wnd=8000) + wait(500) + seg(IN_FLIGHT, ACK)
    s["zero_window_ours"] = bytes([C_SMALL_WND, P_MSS, 0]) + seg(PASSIVE, ACK, payload=1460) \
        + seg(PASSIVE, ACK, payload=1460) + seg(PASSIVE, ACK, payload=100) + wait(200) \
        + seg(PASSIVE, ACK, seq=-1, payload=1) + app(RECVED, PASSIVE, 10) + app(RECVED, PASSIVE) + wait(100)
    s["window_scaled"] = bytes([0, P_MSS | P_WS | (14 << 4), 0]) + seg(IN_FLIGHT, ACK, wnd=1) + wait(100) \
        + seg(IN_FLIGHT, ACK, wnd=0) + wait(2000)
    s["window_scale_over_14"] = bytes([0, P_WS | (15 << 4), 0]) + seg(IN_FLIGHT, ACK, wnd=3) + wait(100)
    # Closing, from each side.
    s["fin_from_peer"] = ALL_OPTS + seg(PASSIVE, PSH | FIN | ACK, payload=10) + wait(50) + app(CLOSE, PASSIVE) \
        + seg(PASSIVE, ACK) + wait(1000)
    s["close_from_us"] = ALL_OPTS + app(CLOSE, ACTIVE) + seg(ACTIVE, ACK) + seg(ACTIVE, FIN | ACK) + wait(61000)
    s["close_simultaneous"] = NO_OPTS + app(CLOSE, ACTIVE) + seg(ACTIVE, FIN | ACK, ack=-1) + seg(ACTIVE, ACK) \
        + wait(100) + seg(ACTIVE, FIN | ACK, seq=-1) + wait(61000)
    s["close_with_unread"] = NO_OPTS + seg(PASSIVE, ACK, payload=200) + app(CLOSE, PASSIVE) + wait(100)
    s["shutdown_paths"] = ALL_OPTS + app(SHUTDOWN, PASSIVE, 2) + seg(PASSIVE, ACK) + seg(PASSIVE, ACK, payload=30) \
        + app(SHUTDOWN, ACTIVE, 1) + seg(ACTIVE, ACK, payload=30) + app(MODE, IN_FLIGHT, M_CLOSE_ON_FIN) \
        + seg(IN_FLIGHT, FIN | ACK) + wait(5000)
    s["close_in_callbacks"] = NO_OPTS + app(MODE, PASSIVE, M_CLOSE_IN_RECV | M_AUTO_RECVED) \
        + seg(PASSIVE, FIN | ACK, payload=20) + app(MODE, ACTIVE, M_ABORT_IN_RECV) + seg(ACTIVE, ACK, payload=5) \
        + app(MODE, IN_FLIGHT, M_WRITE_IN_SENT | M_NODELAY) + seg(IN_FLIGHT, ACK) + wait(1000)
    s["poll_and_keepalive"] = NO_OPTS + app(MODE, PASSIVE, M_KEEPALIVE | M_WRITE_IN_SENT) \
        + app(OUTPUT, PASSIVE, 0x80 | 4) + wait(3000) + seg(PASSIVE, ACK) + wait(5000)
    # Resets (RFC 5961 3): exact, in window, out of window; SYN in window (4).
    s["rst_exact"] = ALL_OPTS + seg(PASSIVE, RST, seq_peer=False) + seg(SYN_RCVD, RST, seq_peer=False)
    s["rst_in_window_challenge"] = ALL_OPTS + seg(PASSIVE, RST, seq=100) + seg(ACTIVE, RST | ACK, seq=5) \
        + seg(ACTIVE, RST, seq=-30000) + seg(ACTIVE, RST, seq_peer=False)
    s["syn_in_window"] = ALL_OPTS + seg(PASSIVE, SYN, seq=10) + seg(ACTIVE, SYN | ACK, seq=-1) \
        + seg(IN_FLIGHT, SYN, seq=0) + wait(1000)
    s["challenge_ack_limit"] = NO_OPTS + seg(PASSIVE, RST, seq=1) * 15 + wait(1000) + seg(PASSIVE, RST, seq=1)
    # Options: every kind, then malformed ones.
    every = bytes([0x01]) + o_mss(1000) + bytes([3, 3, 9]) + bytes([4, 2]) + o_ts(1, 0)[2:] \
        + bytes([30, 4, 0, 0]) + bytes([34, 2]) + bytes([0])
    s["options_every_kind"] = ALL_OPTS + seg(0, SYN, seq_peer=False, opts=every, relocate=True) \
        + seg(PASSIVE, ACK, opts=o_sack((1, 2), (3, 4), (5, 6), (7, 8)), payload=10) \
        + seg(PASSIVE, ACK, opts=bytes([254, 6, 0xF9, 0x89, 1, 2, 253, 4, 0, 0]), payload=10)
    s["options_malformed"] = ALL_OPTS + seg(PASSIVE, ACK, opts=bytes([2, 0])) + seg(PASSIVE, ACK, opts=bytes([8, 1])) \
        + seg(PASSIVE, ACK, opts=bytes([5, 40] + [0] * 6)) + seg(PASSIVE, ACK, opts=bytes([2, 3, 1])) \
        + seg(PASSIVE, ACK, opts=bytes([5, 11] + [1] * 9)) + seg(PASSIVE, ACK, opts=bytes([1] * 39 + [2])) \
        + seg(0, SYN, seq_peer=False, opts=bytes([3, 3, 200, 2, 4, 0, 0, 8, 10]) + bytes(8))
    s["timestamps_paws"] = ALL_OPTS + seg(PASSIVE, ACK, payload=100, relocate=True, opts=o_ts(5, 0)) \
        + seg(PASSIVE, ACK, payload=100, relocate=True, opts=o_ts(-50, 0)) \
        + seg(PASSIVE, ACK, payload=100, relocate=True, opts=o_ts(1 << 31, 0)) + wait(100)
    # Header damage: checksum, data offset, IP length, reserved bits, URG.
    s["header_damage"] = ALL_OPTS + seg(PASSIVE, ACK, payload=10, ctl=CTL_BAD_SUM) \
        + seg(PASSIVE, ACK, payload=10, ctl=CTL_DATA_OFFSET | (15 << 4)) \
        + seg(PASSIVE, ACK, payload=10, ctl=CTL_DATA_OFFSET | (3 << 4)) \
        + seg(PASSIVE, ACK, payload=10, ctl=CTL_SHORT_IP | (12 << 4)) \
        + seg(PASSIVE, ACK | ECE | CWR, payload=10, ctl=CTL_RESERVED | (0xF << 4)) \
        + seg(PASSIVE, ACK | URG | PSH, payload=100, ctl=0, urg=50) + seg(PASSIVE, ACK | URG, ctl=0, urg=65535)
    # Ports and listeners: closed port, backlog, listener closed and reopened.
    s["closed_port"] = NO_OPTS + seg(CLOSED_PORT, SYN, seq_peer=False) + seg(CLOSED_PORT, ACK, ack=100) \
        + seg(CLOSED_PORT, RST) + seg(CLOSED_PORT, FIN, payload=5)
    s["backlog_eviction"] = NO_OPTS + seg(0, SYN, seq_peer=False) + seg(6, SYN, seq_peer=False) \
        + app(OPEN, 0, 1) + seg(6, ACK) + app(OPEN, 0, 2) + seg(6, SYN, seq_peer=False) + seg(6, ACK) + wait(8000)
    s["reconnect_active"] = NO_OPTS + app(ABORT, ACTIVE) + app(OPEN, ACTIVE) \
        + seg(ACTIVE, SYN | ACK, seq_peer=False) + app(WRITE, ACTIVE, 100) + seg(ACTIVE, ACK, ack=-500) + wait(2000)
    s["pool_exhaustion"] = bytes([C_SMALL_POOLS | C_NO_DELACK, P_MSS | P_SACK, 0]) + app(WRITE, ACTIVE, 255) \
        + app(WRITE, PASSIVE, 255) + b"".join(seg(ACTIVE, ACK, seq=600 * k, payload=500) for k in range(1, 12)) \
        + seg(IN_FLIGHT, ACK) + wait(2000) + app(CLOSE, ACTIVE, 1) + app(CLOSE, PASSIVE) + wait(5000)
    s["time_wait_reuse"] = NO_OPTS + seg(PASSIVE, FIN | ACK) + app(CLOSE, PASSIVE) + seg(PASSIVE, ACK) \
        + seg(PASSIVE, FIN | ACK, seq=-1) + seg(PASSIVE, SYN, seq=100) + wait(61000) + seg(PASSIVE, SYN, seq=100) \
        + seg(PASSIVE, ACK)
    return s


def main():
    os.makedirs(OUT, exist_ok=True)
    all_seeds = seeds()
    for name, data in sorted(all_seeds.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"{len(all_seeds)} seeds in {OUT}")


if __name__ == "__main__":
    main()
