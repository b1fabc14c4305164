#!/usr/bin/env python3
"""stranger.py - unauthenticated peers for the security-promise tests.

Speaks just enough of the plain (unwrapped) control channel to probe what
the endpoint does for strangers (shared/docs/security-promises.md P1-P4):

  hostile HOST PORT   send malformed initial packets, then one valid reset;
                      prints how many replies each got (expect 0 ... 0, 1)
  flood1 HOST PORT N  N valid resets from one address and port as fast as
                      possible; prints how many replies arrived in 1 s
  halfopen HOST PORT K  complete the cookie exchange from K source ports
                      (P_ACK_V1 echoing the server's session id); prints how
                      many got an answer to a follow-up retransmitted reset
  spoof HOST PORT RATE SECS SRCNET  raw-socket flood of resets with random
                      source addresses inside SRCNET (/16), RATE per second

Every wait is bounded; nothing here runs for longer than asked.
"""
import os
import random
import socket
import struct
import sys
import time

P_ACK_V1, P_RESET_C2, P_RESET_S2 = 5, 7, 8


def reset(sid, msgid=0, acks=(), trailing=b""):
    body = bytes([P_RESET_C2 << 3]) + sid + bytes([len(acks)])
    for a in acks:
        body += struct.pack(">I", a)
    if acks:
        body += b"\x11" * 8
    return body + struct.pack(">I", msgid) + trailing


def count_replies(sock, wait):
    n = 0
    sizes = []
    end = time.monotonic() + wait
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return n, sizes
        sock.settimeout(left)
        try:
            data = sock.recv(4096)
        except socket.timeout:
            return n, sizes
        n += 1
        sizes.append(len(data))


def hostile(host, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect((host, port))
    sid = os.urandom(8)
    good = reset(sid)
    cases = [
        ("prefix 9 bytes", good[:9]),
        ("prefix 13 bytes", good[:13]),
        ("ack count 9", reset(sid, acks=range(9))),
        ("ack count 255", bytes([P_RESET_C2 << 3]) + sid + b"\xff" + b"\0" * 64),
        ("message id 1", reset(sid, msgid=1)),
        ("trailing junk", reset(sid, trailing=b"junk")),
        ("key id 1", bytes([(P_RESET_C2 << 3) | 1]) + good[1:]),
        ("zero session id", reset(b"\0" * 8)),
        ("server reset to server", bytes([P_RESET_S2 << 3]) + good[1:]),
        ("opcode 0", b"\x00" + good[1:]),
        ("empty", b""),
    ]
    for name, pkt in cases:
        if pkt:
            sock.send(pkt)
        n, _ = count_replies(sock, 0.3)
        print(f"{name}: {n}")
    sock.send(good)
    n, sizes = count_replies(sock, 1.0)
    print(f"valid reset: {n} {sizes}")


def flood1(host, port, count):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect((host, port))
    sock.setblocking(False)
    start = time.monotonic()
    replies = 0
    for _ in range(count):
        sock.send(reset(os.urandom(8)))
        try:
            while sock.recv(4096):
                replies += 1
        except BlockingIOError:
            pass
    sock.setblocking(True)
    n, _ = count_replies(sock, max(0.0, 1.0 - (time.monotonic() - start)))
    print(f"sent {count} in {time.monotonic() - start:.2f}s, replies {replies + n}")


def halfopen(host, port, k):
    opened = 0
    socks = []
    for _ in range(k):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect((host, port))
        socks.append(s)
        csid = os.urandom(8)
        s.send(reset(csid))
        s.settimeout(2.0)
        try:
            rep = s.recv(4096)
        except socket.timeout:
            continue
        if len(rep) != 26 or rep[0] >> 3 != P_RESET_S2:
            continue
        ssid = rep[1:9]
        # P_ACK_V1 acking id 0 with the cookie: completes the 3-way handshake
        s.send(bytes([P_ACK_V1 << 3]) + csid + b"\x01" + struct.pack(">I", 0) + ssid)
        opened += 1
    print(f"cookie echoed from {opened} ports")


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def spoof(host, port, rate, secs, srcnet):
    base = srcnet.split("/")[0].split(".")
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    dst = socket.inet_aton(host)
    interval = 1.0 / rate
    sent = 0
    start = time.monotonic()
    while time.monotonic() - start < secs:
        src = socket.inet_aton(f"{base[0]}.{base[1]}.{random.randint(0, 255)}.{random.randint(1, 254)}")
        payload = reset(os.urandom(8))
        sport = random.randint(1024, 65535)
        udp = struct.pack("!HHHH", sport, port, 8 + len(payload), 0) + payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        raw.sendto(ip + udp, (host, 0))
        sent += 1
        target = start + sent * interval
        delay = target - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print(f"spoofed {sent} resets in {time.monotonic() - start:.1f}s")


def main():
    cmd, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if cmd == "hostile":
        hostile(host, port)
    elif cmd == "flood1":
        flood1(host, port, int(sys.argv[4]))
    elif cmd == "halfopen":
        halfopen(host, port, int(sys.argv[4]))
    elif cmd == "spoof":
        spoof(host, port, int(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
