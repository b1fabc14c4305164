#!/usr/bin/env python3
# sniff.py IFACE PORT OUT SECONDS - record the UDP payloads to and from PORT
# seen on IFACE (an AF_PACKET socket, so it must run as root inside the
# namespace that owns IFACE).  Writes one line per datagram to OUT:
#   c2s <hex>   (destination port == PORT)
#   s2c <hex>   (source port == PORT)
# and prints "ready" on stdout once the socket is bound.
import socket, struct, sys, time

iface, port, out, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind((iface, 0))
s.settimeout(0.2)
print("ready", flush=True)
end = time.monotonic() + secs
with open(out, "w") as f:
    while time.monotonic() < end:
        try:
            frame, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 17:
            continue
        udp = ip[ihl:]
        sport, dport, ulen = struct.unpack("!HHH", udp[:6])
        payload = udp[8:ulen]
        if dport == port:
            d = "c2s"
        elif sport == port:
            d = "s2c"
        else:
            continue
        f.write("%s %s\n" % (d, payload.hex()))
        f.flush()
