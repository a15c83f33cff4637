"""Checking pcaps with tshark, as DESIGN.md "Tests and evidence" specifies.

tshark checks IP/TCP/UDP checksums only when asked, exits 0 whatever it
finds, and reports some problems as mere warnings; so the check is: count
the output lines of one display-filtered run. Any line is a problem.
"""

import hashlib
import os
import shutil
import struct
import subprocess

__all__ = ["TSHARK_FILTER", "tshark_command", "tshark_available", "tshark_problems",
           "read_pcap", "frame_digest", "unexcused_problems"]

TSHARK_FILTER = "_ws.malformed || _ws.expert.severity >= error || _ws.expert.group == checksum"


def tshark_available():
    return shutil.which("tshark") is not None


def tshark_command(path):
    """The exact tshark command line that checks `path`."""
    return ["tshark", "-n", "-r", str(path),
            "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
            "-Y", TSHARK_FILTER, "-T", "fields", "-e", "frame.number", "-e", "_ws.expert.message"]


def tshark_problems(path):
    """The problem lines tshark reports for the pcap at `path` ([] = clean).

    Each line is "<frame number>\\t<expert messages>". A pcap tshark cannot
    read at all is a problem too (reported as one line). Raises
    FileNotFoundError if tshark is not installed.
    """
    if not tshark_available():
        raise FileNotFoundError("tshark is not installed (Debian: apt-get install tshark)")
    # A sanitizer test run preloads the ASan runtime for the library; tshark
    # is not instrumented and must not inherit that.
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}
    run = subprocess.run(tshark_command(path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, errors="replace", env=env)
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    if run.returncode != 0:
        lines.append(f"tshark exited {run.returncode}: {run.stderr.strip()}")
    return lines


def read_pcap(path):
    """The frames of a classic pcap file (either byte order, us or ns stamps) as bytes."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"{path}: not a classic pcap file")
    record = struct.Struct(endian + "IIII")
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, incl_len, _ = record.unpack_from(data, off)
        off += 16
        frames.append(data[off:off + incl_len])
        off += incl_len
    return frames


def frame_digest(frame):
    """A compact fingerprint of a frame's bytes (what RawHost.send records)."""
    return hashlib.blake2b(bytes(frame), digest_size=16).digest()


def unexcused_problems(path, injected=()):
    """tshark_problems(path) minus the lines about frames a test injected on purpose.

    `injected` holds frame_digest()s of frames that raw hosts sent (stimuli,
    often malformed by design); a problem in a frame with the same bytes is
    the test's doing, not the stack's. Everything else counts.
    """
    problems = tshark_problems(path)
    if not problems or not injected:
        return problems
    frames = read_pcap(path)
    kept = []
    for line in problems:
        number = line.split("\t", 1)[0].strip()
        if number.isdigit() and 1 <= int(number) <= len(frames) \
                and frame_digest(frames[int(number) - 1]) in injected:
            continue
        kept.append(line)
    return kept


if __name__ == "__main__":  # python3 -m shoal.pcapcheck FILE...
    import sys
    bad = 0
    for f in sys.argv[1:]:
        problems = tshark_problems(f)
        bad += bool(problems)
        print(f"{f}: {'clean' if not problems else f'{len(problems)} problem(s)'}")
        for line in problems:
            print("   ", line)
    sys.exit(1 if bad else 0)
