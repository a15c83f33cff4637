#!/usr/bin/env python3
"""Write the seed corpus of fuzz/fuzz_dhcp6.c (each input is one DHCPv6
message, the UDP payload): Information-requests with and without a Client
Identifier, Replies with DNS servers, domain lists and refresh times,
Solicits with IA options, requests naming another server, relay messages,
and a few malformed options. Built with Scapy's DHCPv6 layers.
Run from the repository root: /usr/bin/python3 fuzz/make_dhcp6_corpus.py"""
import hashlib
import os

from scapy.layers.dhcp6 import (
    DHCP6_Advertise, DHCP6_InfoRequest, DHCP6_RelayForward, DHCP6_Reply, DHCP6_Request, DHCP6_Solicit,
    DHCP6OptClientId, DHCP6OptDNSDomains, DHCP6OptDNSServers, DHCP6OptElapsedTime, DHCP6OptIA_NA,
    DHCP6OptIA_PD, DHCP6OptInfoRefreshTime, DHCP6OptOptReq, DHCP6OptServerId, DHCP6OptStatusCode, DUID_LL,
    DUID_LLT)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_dhcp6")
CLIENT = DUID_LL(lladdr="02:00:00:00:00:01")
SERVER = DUID_LL(lladdr="02:00:00:00:00:02")
OTHER = DUID_LLT(lladdr="02:00:00:00:00:09", timeval=12345)
ORO = DHCP6OptOptReq(reqopts=[23, 24, 32, 83])
DNS = DHCP6OptDNSServers(dnsservers=["2001:db8::53", "2001:db8::54"])


def messages():
    yield "inform", DHCP6_InfoRequest(trid=0x123456) / DHCP6OptClientId(duid=CLIENT) / DHCP6OptElapsedTime() / ORO
    yield "inform_anon", DHCP6_InfoRequest(trid=1) / DHCP6OptElapsedTime(elapsedtime=300) / ORO
    yield "inform_ours", DHCP6_InfoRequest(trid=2) / DHCP6OptClientId(duid=CLIENT) / DHCP6OptServerId(duid=SERVER) / ORO
    yield "inform_other", DHCP6_InfoRequest(trid=3) / DHCP6OptClientId(duid=CLIENT) / DHCP6OptServerId(duid=OTHER)
    yield "inform_ia", DHCP6_InfoRequest(trid=4) / DHCP6OptClientId(duid=CLIENT) / DHCP6OptIA_NA(iaid=1)
    yield "reply", (DHCP6_Reply(trid=0x123456) / DHCP6OptServerId(duid=SERVER) / DHCP6OptClientId(duid=CLIENT) / DNS /
                    DHCP6OptDNSDomains(dnsdomains=["example.test.", "sub.example.test."]) /
                    DHCP6OptInfoRefreshTime(reftime=7200))
    yield "reply_short_refresh", (DHCP6_Reply(trid=5) / DHCP6OptServerId(duid=SERVER) / DNS /
                                  DHCP6OptInfoRefreshTime(reftime=10))
    yield "reply_fail", (DHCP6_Reply(trid=6) / DHCP6OptServerId(duid=SERVER) / DHCP6OptClientId(duid=CLIENT) /
                         DHCP6OptStatusCode(statuscode=1, statusmsg="unspecified failure"))
    yield "reply_noserver", DHCP6_Reply(trid=7) / DHCP6OptClientId(duid=CLIENT) / DNS
    yield "solicit", (DHCP6_Solicit(trid=8) / DHCP6OptClientId(duid=CLIENT) / DHCP6OptElapsedTime() /
                      DHCP6OptIA_NA(iaid=1) / DHCP6OptIA_PD(iaid=2) / ORO)
    yield "solicit_anon", DHCP6_Solicit(trid=9) / DHCP6OptIA_NA(iaid=1)
    yield "advertise", (DHCP6_Advertise(trid=8) / DHCP6OptServerId(duid=SERVER) / DHCP6OptClientId(duid=CLIENT) /
                        DHCP6OptStatusCode(statuscode=2, statusmsg="no addresses"))
    yield "request", DHCP6_Request(trid=10) / DHCP6OptClientId(duid=CLIENT) / DHCP6OptServerId(duid=SERVER)
    yield "relay", DHCP6_RelayForward(hopcount=1, linkaddr="2001:db8::1", peeraddr="fe80::1")


def raw_messages():
    # Options cut short, an odd DNS length, a compressed domain name, a
    # domain list without its final zero, a duplicate Client ID.
    yield "cut_option", bytes([11, 0, 0, 1, 0, 1, 0, 10, 0, 3])
    yield "dns_odd", bytes([7, 0, 0, 2, 0, 23, 0, 17]) + bytes(17)
    yield "domain_pointer", bytes([7, 0, 0, 3, 0, 24, 0, 2, 0xC0, 0x0C])
    yield "domain_unterminated", bytes([7, 0, 0, 4, 0, 24, 0, 4, 3]) + b"com"
    dup = bytes(DHCP6OptClientId(duid=CLIENT)) + bytes(DHCP6OptClientId(duid=OTHER))
    yield "dup_clientid", bytes([11, 0, 0, 5]) + dup
    yield "header_only", bytes([11, 0xFF, 0xFF, 0xFF])


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.remove(os.path.join(OUT, name))
    items = [(n, bytes(m)) for n, m in messages()] + list(raw_messages())
    for name, data in items:
        digest = hashlib.sha1(data).hexdigest()[:12]
        with open(os.path.join(OUT, f"{name}-{digest}"), "wb") as f:
            f.write(data)
    print(f"wrote {len(items)} inputs to {OUT}")


if __name__ == "__main__":
    main()
