#!/usr/bin/env python3
# mgmt_client.py - a scripted management-interface client for the netns
# tests: each step is one argument, run in order, everything bounded in time.
#
#   connect ADDR          unix path, or HOST:PORT
#   password PW           answer the password prompt
#   cmd LINE              send LINE, read its reply (to END, SUCCESS: or ERROR:)
#                         and append it to the output file
#   send LINE             send LINE without waiting
#   expect REGEX [SECS]   wait for a line matching REGEX (notifications); its
#                         named groups become ${name} in later LINEs
#   eof [SECS]            wait for the server to close the connection
#   out FILE              where `cmd` replies go (default stdout)
#
# Exit status 0 when every step succeeded; 1 with the failing step on stderr.
import re
import socket
import string
import sys
import time


class Conn:
    def __init__(self, addr):
        if "/" in addr:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.connect(addr)
        else:
            host, port = addr.rsplit(":", 1)
            self.s = socket.create_connection((host, int(port)), timeout=5)
        self.buf = b""
        self.lines = []

    def _fill(self, deadline):
        self.s.settimeout(max(0.01, deadline - time.time()))
        try:
            d = self.s.recv(65536)
        except socket.timeout:
            return True
        if not d:
            return False
        self.buf += d
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            self.lines.append(line.rstrip(b"\r").decode("utf-8", "replace"))
        # a password prompt has no newline
        if self.buf.startswith(b"ENTER PASSWORD:"):
            self.lines.append(self.buf.decode())
            self.buf = b""
        return True

    def wait(self, pred, secs):
        deadline = time.time() + secs
        while True:
            for i, l in enumerate(self.lines):
                if pred(l):
                    got = self.lines[: i + 1]
                    self.lines = self.lines[i + 1:]
                    return got
            if time.time() >= deadline:
                raise TimeoutError("no matching line within %ss; have %r" % (secs, self.lines[-5:]))
            if not self._fill(deadline):
                raise EOFError("connection closed; have %r" % self.lines[-5:])

    def send(self, line):
        self.s.sendall(line.encode() + b"\n")


def main(argv):
    conn = None
    out = sys.stdout
    names = {}
    written = set()
    i = 0

    def sub(s):
        return string.Template(s).safe_substitute(names)
    try:
        while i < len(argv):
            op = argv[i]
            if op == "connect":
                conn = Conn(argv[i + 1]); i += 2
            elif op == "password":
                conn.wait(lambda l: l.startswith("ENTER PASSWORD:"), 5)
                conn.send(argv[i + 1])
                conn.wait(lambda l: "SUCCESS: password is correct" in l, 5)
                i += 2
            elif op == "out":
                out = open(argv[i + 1], "a"); i += 2
            elif op == "send":
                conn.send(sub(argv[i + 1])); i += 2
            elif op == "cmd":
                conn.send(sub(argv[i + 1]))
                got = conn.wait(lambda l: not l.startswith(">") and
                                (l == "END" or l.startswith("SUCCESS:") or l.startswith("ERROR:")), 10)
                notes = [l for l in got if l.startswith(">")]
                for l in got:
                    out.write(l + "\n")
                written.update(notes)
                # notifications that came with the reply stay visible to `expect`
                conn.lines = notes + conn.lines
                out.flush()
                i += 2
            elif op == "expect":
                secs = 10
                rx = re.compile(argv[i + 1])
                if i + 2 < len(argv) and re.fullmatch(r"[0-9.]+", argv[i + 2]):
                    secs = float(argv[i + 2]); i += 1
                for l in conn.wait(lambda l: rx.search(l) is not None, secs):
                    if l.startswith(">") and l not in written:
                        out.write(l + "\n")
                    m = rx.search(l)
                    if m:
                        names.update(m.groupdict())
                out.flush()
                i += 2
            elif op == "eof":
                secs = float(argv[i + 1]); i += 2
                deadline = time.time() + secs
                while conn._fill(deadline):
                    if time.time() >= deadline:
                        raise TimeoutError("still open after %ss" % secs)
            else:
                raise ValueError("unknown step " + op)
    except Exception as ex:  # report the failing step, exit 1
        sys.stderr.write("mgmt_client: step %d (%s): %s\n" % (i, argv[i] if i < len(argv) else "?", ex))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
