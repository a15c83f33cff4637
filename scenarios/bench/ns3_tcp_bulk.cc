// The peer of bench_tcp.c in ns-3 (Debian's ns-3 3.37): the same bulk TCP
// transfer over one point-to-point link, timed the same way (wall time from
// the connection's start to the last payload byte at the receiver), so
// run_all.py can print the ratio. Written for Shoal's benchmark; built by
// _ns3.py with g++ and pkg-config (see DESIGN.md, "Benchmarks").
//
//   ns3_tcp_bulk [--bytes N] [--rate-bps R] [--delay-ns D] [--wnd W]
//                [--sndbuf S] [--queue Q] [--mss M] [--no-checksum]
//
// Prints one JSON object on stdout.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/traffic-control-module.h"

using namespace ns3;

namespace
{

uint64_t g_target = 0;
uint64_t g_received = 0;
bool g_all_in = false;
Time g_all_in_at;

void
OnSinkRx(Ptr<const Packet> packet, const Address& from)
{
    (void)from;
    g_received += packet->GetSize();
    if (!g_all_in && g_received >= g_target)
    {
        g_all_in = true;
        g_all_in_at = Simulator::Now();
        // Stop here, as the Shoal side does once the last byte is in.
        Simulator::Stop();
    }
}

uint64_t
ArgU64(int argc, char** argv, const char* name, uint64_t dflt)
{
    for (int i = 1; i + 1 < argc; i++)
    {
        if (std::strcmp(argv[i], name) == 0)
        {
            return std::strtoull(argv[i + 1], nullptr, 0);
        }
    }
    return dflt;
}

bool
ArgFlag(int argc, char** argv, const char* name)
{
    for (int i = 1; i < argc; i++)
    {
        if (std::strcmp(argv[i], name) == 0)
        {
            return true;
        }
    }
    return false;
}

double
CpuSeconds()
{
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

} // namespace

int
main(int argc, char** argv)
{
    const uint64_t bytes = ArgU64(argc, argv, "--bytes", 100000000ULL);
    const uint64_t rate = ArgU64(argc, argv, "--rate-bps", 1000000000ULL);
    const uint64_t delay = ArgU64(argc, argv, "--delay-ns", 1000000ULL);
    const uint64_t wnd = ArgU64(argc, argv, "--wnd", 1ULL << 20);
    const uint64_t sndbuf = ArgU64(argc, argv, "--sndbuf", 1ULL << 20);
    const uint64_t queue = ArgU64(argc, argv, "--queue", 1000);
    const uint64_t mss = ArgU64(argc, argv, "--mss", 1448);
    const bool checksums = !ArgFlag(argc, argv, "--no-checksum");
    g_target = bytes;

    auto setup0 = std::chrono::steady_clock::now();
    // ns-3 writes zero checksums unless asked; Shoal always computes and
    // verifies them, so a fair race turns them on.
    GlobalValue::Bind("ChecksumEnabled", BooleanValue(checksums));
    Config::SetDefault("ns3::TcpL4Protocol::SocketType", TypeIdValue(TcpNewReno::GetTypeId()));
    Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(mss));
    Config::SetDefault("ns3::TcpSocket::SndBufSize", UintegerValue(sndbuf));
    Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(wnd));

    NodeContainer nodes;
    nodes.Create(2);
    PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", DataRateValue(DataRate(rate)));
    p2p.SetChannelAttribute("Delay", TimeValue(NanoSeconds(delay)));
    p2p.SetQueue("ns3::DropTailQueue<Packet>",
                 "MaxSize",
                 QueueSizeValue(QueueSize(QueueSizeUnit::PACKETS, static_cast<uint32_t>(queue))));
    NetDeviceContainer devices = p2p.Install(nodes);

    InternetStackHelper internet;
    internet.Install(nodes);
    Ipv4AddressHelper addresses;
    addresses.SetBase("10.0.0.0", "255.255.255.0");
    Ipv4InterfaceContainer ifaces = addresses.Assign(devices);
    // Shoal's link has one FIFO per direction (the device queue above);
    // ns-3's default queue disc (FqCoDel) would add AQM drops Shoal has not.
    TrafficControlHelper tch;
    tch.Uninstall(devices);

    const uint16_t port = 5001;
    BulkSendHelper source("ns3::TcpSocketFactory", InetSocketAddress(ifaces.GetAddress(1), port));
    source.SetAttribute("MaxBytes", UintegerValue(bytes));
    source.SetAttribute("SendSize", UintegerValue(65536));
    ApplicationContainer sourceApps = source.Install(nodes.Get(0));
    sourceApps.Start(Seconds(0.0));

    PacketSinkHelper sink("ns3::TcpSocketFactory", InetSocketAddress(Ipv4Address::GetAny(), port));
    ApplicationContainer sinkApps = sink.Install(nodes.Get(1));
    sinkApps.Start(Seconds(0.0));
    sinkApps.Get(0)->TraceConnectWithoutContext("Rx", MakeCallback(&OnSinkRx));

    // A generous budget in virtual time, in case the transfer stalls.
    const double ideal_s = rate ? static_cast<double>(bytes) * 8.0 / static_cast<double>(rate) : 0.0;
    Simulator::Stop(Seconds(60.0 + 100.0 * ideal_s));
    const double setup_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - setup0).count();

    const double cpu0 = CpuSeconds();
    auto t0 = std::chrono::steady_clock::now();
    Simulator::Run();
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu_s = CpuSeconds() - cpu0;
    const uint64_t events = Simulator::GetEventCount();
    const double sim_s = g_all_in ? g_all_in_at.GetSeconds() : Simulator::Now().GetSeconds();
    Simulator::Destroy();

    std::printf("{\n");
    std::printf("  \"bench\": \"tcp_bulk_ns3\",\n");
    std::printf("  \"ok\": %s,\n", g_all_in ? "true" : "false");
    std::printf("  \"ns3_version\": \"3.37\",\n");
    std::printf("  \"bytes\": %llu,\n", static_cast<unsigned long long>(bytes));
    std::printf("  \"bytes_received\": %llu,\n", static_cast<unsigned long long>(g_received));
    std::printf("  \"checksums\": %s,\n", checksums ? "true" : "false");
    std::printf("  \"rate_bps\": %llu,\n", static_cast<unsigned long long>(rate));
    std::printf("  \"delay_ns\": %llu,\n", static_cast<unsigned long long>(delay));
    std::printf("  \"queue_frames\": %llu,\n", static_cast<unsigned long long>(queue));
    std::printf("  \"tcp_wnd\": %llu,\n", static_cast<unsigned long long>(wnd));
    std::printf("  \"tcp_snd_buf\": %llu,\n", static_cast<unsigned long long>(sndbuf));
    std::printf("  \"mss\": %llu,\n", static_cast<unsigned long long>(mss));
    std::printf("  \"setup_wall_s\": %.9g,\n", setup_s);
    std::printf("  \"wall_s\": %.9g,\n", wall_s);
    std::printf("  \"cpu_s\": %.9g,\n", cpu_s);
    std::printf("  \"sim_s\": %.9g,\n", sim_s);
    std::printf("  \"events\": %llu,\n", static_cast<unsigned long long>(events));
    std::printf("  \"events_per_wall_s\": %.9g,\n", events / wall_s);
    std::printf("  \"payload_bytes_per_wall_s\": %.9g,\n", g_received / wall_s);
    std::printf("  \"goodput_bps\": %.9g,\n", sim_s > 0 ? g_received * 8.0 / sim_s : 0.0);
    std::printf("  \"sim_s_per_wall_s\": %.9g\n", sim_s / wall_s);
    std::printf("}\n");
    return g_all_in ? 0 : 1;
}
